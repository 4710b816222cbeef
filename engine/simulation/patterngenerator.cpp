#include "patterngenerator.h"

#include "patternparser.h"
#include "seededrandom.h"

#include "config/ecmaregex.h"

#include <QRegularExpression>

#include <algorithm>

namespace Gatehouse::Simulation {

struct PatternGenerator::Private
{
    QString pattern;
    QRegularExpression regex;
    std::optional<PatternNode> tree;
    bool exact = false;
};

namespace {

// Repetitions beyond the minimum that an unbounded quantifier takes when the length does not
// ask for more: short values read well and keep documents small.
constexpr qint64 kSoftRepeat = 8;

// One candidate string, built depth-first; each call is given the range of lengths its part
// must take so that the whole lands inside minLength..maxLength.
class Writer
{
public:
    explicit Writer(SeededRandom &random) : m_random(random) {}

    void write(const PatternNode &node, qint64 low, qint64 high);
    const std::u32string &text() const { return m_text; }

private:
    // `count` parts, the i-th being `part(i)`, sharing low..high between them.
    template<typename Part>
    void writeParts(size_t count, const Part &part, qint64 low, qint64 high);
    void writeRepeat(const PatternNode &node, qint64 low, qint64 high);
    char32_t pick(const PatternNode &set);

    SeededRandom &m_random;
    std::u32string m_text;
    std::vector<std::pair<size_t, size_t>> m_captures;
};

void Writer::write(const PatternNode &node, qint64 low, qint64 high)
{
    low = std::max(low, node.minLength);
    high = std::min(high, node.maxLength);
    if (high < low)
        high = low;   // cannot fit: write the nearest thing; the final check rejects it
    switch (node.kind) {
    case PatternNode::Empty:
    case PatternNode::StartAnchor:
    case PatternNode::EndAnchor:
        return;
    case PatternNode::Literal:
        m_text.push_back(node.literal);
        return;
    case PatternNode::Set:
        if (!node.ranges.empty())
            m_text.push_back(pick(node));
        return;
    case PatternNode::Sequence:
        writeParts(node.children.size(), [&](size_t i) -> const PatternNode & { return node.children[i]; }, low, high);
        return;
    case PatternNode::Alternation: {
        std::vector<const PatternNode *> fitting;
        for (const PatternNode &branch : node.children) {
            if (branch.minLength <= high && branch.maxLength >= low)
                fitting.push_back(&branch);
        }
        if (fitting.empty())
            fitting.push_back(&node.children[size_t(m_random.below(node.children.size()))]);
        write(*fitting[size_t(m_random.below(fitting.size()))], low, high);
        return;
    }
    case PatternNode::Group: {
        const size_t start = m_text.size();
        write(node.children.front(), low, high);
        if (node.group > 0) {
            if (m_captures.size() <= size_t(node.group))
                m_captures.resize(size_t(node.group) + 1, {0, 0});
            m_captures[size_t(node.group)] = {start, m_text.size()};
        }
        return;
    }
    case PatternNode::Repeat:
        writeRepeat(node, low, high);
        return;
    case PatternNode::BackReference:
        if (node.group > 0 && size_t(node.group) < m_captures.size()) {
            const auto [start, end] = m_captures[size_t(node.group)];
            m_text.append(m_text.substr(start, end - start));
        }
        return;
    }
}

template<typename Part>
void Writer::writeParts(size_t count, const Part &part, qint64 low, qint64 high)
{
    // What the parts after the i-th can still take, so each part leaves room for the rest.
    std::vector<qint64> restMin(count + 1, 0);
    std::vector<qint64> restMax(count + 1, 0);
    for (size_t i = count; i-- > 0;) {
        restMin[i] = std::min(restMin[i + 1] + part(i).minLength, PatternNode::kUnbounded);
        restMax[i] = std::min(restMax[i + 1] + part(i).maxLength, PatternNode::kUnbounded);
    }
    const auto start = qint64(m_text.size());
    for (size_t i = 0; i < count; ++i) {
        const qint64 written = qint64(m_text.size()) - start;
        write(part(i), low - written - restMax[i + 1], high - written - restMin[i + 1]);
    }
}

void Writer::writeRepeat(const PatternNode &node, qint64 low, qint64 high)
{
    const PatternNode &item = node.children.front();
    qint64 fewest = node.repeatMin;
    qint64 most = node.repeatMax;
    if (item.maxLength > 0 && item.maxLength < PatternNode::kUnbounded)
        fewest = std::max(fewest, (low + item.maxLength - 1) / item.maxLength);
    if (item.minLength > 0)
        most = std::min(most, high / item.minLength);
    if (most < fewest)
        most = fewest;
    qint64 count = fewest;
    if (!node.fewest) {
        const qint64 natural = std::min(most, std::max(fewest, node.repeatMin + kSoftRepeat));
        count = m_random.between(fewest, natural);
    }
    // Repetitions share the range like the parts of a sequence; the item's lengths scale.
    const qint64 written0 = qint64(m_text.size());
    for (qint64 i = 0; i < count; ++i) {
        const qint64 remaining = count - 1 - i;
        const qint64 written = qint64(m_text.size()) - written0;
        write(item, low - written - PatternNode::saturatedMultiply(item.maxLength, remaining),
              high - written - PatternNode::saturatedMultiply(item.minLength, remaining));
    }
}

char32_t Writer::pick(const PatternNode &set)
{
    quint64 total = 0;
    for (const auto &[first, last] : set.ranges)
        total += quint64(last - first) + 1;
    quint64 index = m_random.below(total);
    for (const auto &[first, last] : set.ranges) {
        const quint64 size = quint64(last - first) + 1;
        if (index < size)
            return char32_t(first + index);
        index -= size;
    }
    return set.ranges.front().first;
}

qint64 codePoints(const QString &text)
{
    qint64 count = text.size();
    for (qsizetype i = 0; i + 1 < text.size(); ++i) {
        if (text.at(i).isHighSurrogate() && text.at(i + 1).isLowSurrogate()) {
            --count;
            ++i;
        }
    }
    return count;
}

} // namespace

PatternGenerator::PatternGenerator(const QString &ecmaPattern)
{
    auto p = std::make_shared<Private>();
    p->pattern = ecmaPattern;
    p->regex = EcmaRegex::compile(ecmaPattern);
    PatternParser parser(ecmaPattern);
    p->tree = parser.parse();
    p->exact = p->tree && parser.exact();
    d = std::move(p);
}

PatternGenerator::~PatternGenerator() = default;
PatternGenerator::PatternGenerator(const PatternGenerator &) = default;
PatternGenerator &PatternGenerator::operator=(const PatternGenerator &) = default;

QString PatternGenerator::pattern() const
{
    return d->pattern;
}

bool PatternGenerator::isValid() const
{
    return d->regex.isValid();
}

bool PatternGenerator::isExact() const
{
    return d->exact;
}

bool PatternGenerator::matches(const QString &text) const
{
    return d->regex.isValid() && d->regex.match(text).hasMatch();
}

std::optional<QString> PatternGenerator::generate(SeededRandom &random, qint64 minLength, qint64 maxLength) const
{
    if (!d->regex.isValid())
        return std::nullopt;
    const qint64 low = std::max<qint64>(minLength, 0);
    const qint64 high = maxLength < 0 ? PatternNode::kUnbounded : maxLength;
    if (high < low)
        return std::nullopt;
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
        QString candidate;
        if (d->tree) {
            Writer writer(random);
            writer.write(*d->tree, low, high);
            candidate = QString::fromUcs4(writer.text().data(), qsizetype(writer.text().size()));
        } else {
            // Not understood: random words of a fitting length, in the hope one matches.
            const qint64 length = random.between(low, std::min(high, low + 16));
            for (qint64 i = 0; i < length; ++i)
                candidate.append(QLatin1Char("abcdefghijklmnopqrstuvwxyz0123456789"[random.below(36)]));
        }
        const qint64 length = codePoints(candidate);
        if (length >= low && length <= high && matches(candidate))
            return candidate;
    }
    return std::nullopt;
}

} // namespace Gatehouse::Simulation
