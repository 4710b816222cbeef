#include "patternparser.h"

#include <QList>

#include <algorithm>

namespace Gatehouse::Simulation {

namespace {

using Ranges = PatternNode::Ranges;

const Ranges digitRanges{{U'0', U'9'}};
const Ranges wordRanges{{U'0', U'9'}, {U'A', U'Z'}, {U'_', U'_'}, {U'a', U'z'}};
const Ranges spaceRanges{{U' ', U' '}};   // the one white space a JSON string shows plainly
const Ranges letterRanges{{U'A', U'Z'}, {U'a', U'z'}};

int hexValue(char32_t c)
{
    if (c >= U'0' && c <= U'9')
        return int(c - U'0');
    if (c >= U'a' && c <= U'f')
        return int(c - U'a') + 10;
    if (c >= U'A' && c <= U'F')
        return int(c - U'A') + 10;
    return -1;
}

Ranges complement(const Ranges &ranges)
{
    return PatternNode::complement(ranges);
}

} // namespace

PatternParser::PatternParser(const QString &pattern)
{
    for (const uint c : pattern.toUcs4())
        m_text.push_back(char32_t(c));
}

std::optional<PatternNode> PatternParser::parse()
{
    PatternNode pattern;
    if (!alternation(&pattern) || !atEnd())
        return std::nullopt;
    // The validator searches: text may come before and after the match unless the pattern is
    // anchored there. Fillers stand for that text; they take the fewest characters the
    // length constraints allow.
    const auto filler = [](bool anchored) {
        PatternNode repeat;
        repeat.kind = PatternNode::Repeat;
        repeat.repeatMax = anchored ? 0 : PatternNode::kUnbounded;
        repeat.fewest = true;
        repeat.children.push_back(PatternNode::set({{U'0', U'9'}, {U'a', U'z'}}));
        return repeat;
    };
    PatternNode root;
    root.kind = PatternNode::Sequence;
    root.children.push_back(filler(pattern.anchoredAt(true)));
    root.children.push_back(filler(pattern.anchoredAt(false)));
    PatternNode group;
    group.kind = PatternNode::Group;
    group.children.push_back(std::move(pattern));
    root.children.insert(root.children.begin() + 1, std::move(group));
    root.finish();
    return root;
}

bool PatternParser::alternation(PatternNode *into)
{
    PatternNode first;
    if (!sequence(&first))
        return false;
    if (peek() != U'|') {
        *into = std::move(first);
        return true;
    }
    into->kind = PatternNode::Alternation;
    into->children.push_back(std::move(first));
    while (peek() == U'|') {
        ++m_pos;
        PatternNode branch;
        if (!sequence(&branch))
            return false;
        into->children.push_back(std::move(branch));
    }
    return true;
}

bool PatternParser::sequence(PatternNode *into)
{
    into->kind = PatternNode::Sequence;
    while (!atEnd() && peek() != U'|' && peek() != U')') {
        PatternNode item;
        if (!atom(&item) || !quantifier(&item))
            return false;
        into->children.push_back(std::move(item));
    }
    return true;
}

bool PatternParser::atom(PatternNode *into)
{
    const char32_t c = peek();
    ++m_pos;
    switch (c) {
    case U'^': into->kind = PatternNode::StartAnchor; return true;
    case U'$': into->kind = PatternNode::EndAnchor; return true;
    case U'.': *into = PatternNode::set({{PatternNode::kPoolFirst, PatternNode::kPoolLast}}); return true;
    case U'(': return groupStart(into);
    case U'[': return characterClass(into);
    case U'\\': return escape(into);
    case U'*': case U'+': case U'?': case U')': return false;   // nothing to repeat / unbalanced
    default:
        into->kind = PatternNode::Literal;
        into->literal = c;
        return true;
    }
}

bool PatternParser::groupStart(PatternNode *into)
{
    PatternNode inner;
    bool capture = true;
    bool assertion = false;
    if (peek() == U'?') {
        const char32_t kind = peek(1);
        if (kind == U':') {
            capture = false;
            m_pos += 2;
        } else if (kind == U'=' || kind == U'!') {
            assertion = true;
            m_pos += 2;
        } else if (kind == U'<' && (peek(2) == U'=' || peek(2) == U'!')) {
            assertion = true;
            m_pos += 3;
        } else if (kind == U'<') {
            m_pos += 2;
            QString name;
            while (!atEnd() && peek() != U'>')
                name.append(QChar(char16_t(peek() < 0x10000 ? peek() : U'?'))), ++m_pos;
            if (atEnd() || name.isEmpty())
                return false;
            ++m_pos;
            m_groupNames.emplace_back(name, m_groups + 1);
        } else {
            return false;
        }
    }
    const int number = capture && !assertion ? ++m_groups : -1;
    if (!alternation(&inner) || peek() != U')')
        return false;
    ++m_pos;
    if (assertion) {
        // A lookaround constrains without producing text; generation ignores it and lets the
        // check against the real expression decide.
        m_exact = false;
        into->kind = PatternNode::Empty;
        return true;
    }
    into->kind = PatternNode::Group;
    into->group = number;
    into->children.push_back(std::move(inner));
    return true;
}

bool PatternParser::quantifier(PatternNode *atom)
{
    qint64 min = 0;
    qint64 max = 0;
    const char32_t c = peek();
    if (c == U'*') {
        min = 0, max = PatternNode::kUnbounded, ++m_pos;
    } else if (c == U'+') {
        min = 1, max = PatternNode::kUnbounded, ++m_pos;
    } else if (c == U'?') {
        min = 0, max = 1, ++m_pos;
    } else if (c == U'{') {
        const size_t start = m_pos;
        if (!braces(&min, &max)) {
            m_pos = start;   // not a quantifier: the '{' is a literal, read as the next atom
            return true;
        }
    } else {
        return true;
    }
    if (peek() == U'?')
        ++m_pos;   // lazy: the same language
    if (max < min)
        return false;
    PatternNode repeat;
    repeat.kind = PatternNode::Repeat;
    repeat.repeatMin = min;
    repeat.repeatMax = max;
    repeat.children.push_back(std::move(*atom));
    *atom = std::move(repeat);
    return quantifier(atom);   // x{2}{3} nests
}

bool PatternParser::braces(qint64 *min, qint64 *max)
{
    ++m_pos;   // '{'
    if (peek() < U'0' || peek() > U'9')
        return false;
    *min = number();
    *max = *min;
    if (peek() == U',') {
        ++m_pos;
        *max = (peek() >= U'0' && peek() <= U'9') ? number() : PatternNode::kUnbounded;
    }
    if (peek() != U'}')
        return false;
    ++m_pos;
    return true;
}

qint64 PatternParser::number()
{
    qint64 value = 0;
    while (peek() >= U'0' && peek() <= U'9') {
        value = std::min<qint64>(value * 10 + qint64(peek() - U'0'), PatternNode::kUnbounded);
        ++m_pos;
    }
    return value;
}

bool PatternParser::characterClass(PatternNode *into)
{
    const bool negated = peek() == U'^';
    if (negated)
        ++m_pos;
    Ranges ranges;
    while (!atEnd() && peek() != U']') {
        Ranges escaped;
        char32_t first = peek();
        ++m_pos;
        if (first == U'\\' && !classEscape(&escaped, &first))
            return false;
        if (!escaped.empty()) {
            ranges.insert(ranges.end(), escaped.begin(), escaped.end());
            continue;
        }
        if (peek() == U'-' && peek(1) != U']' && peek(1) != 0) {
            ++m_pos;
            char32_t last = peek();
            ++m_pos;
            Ranges lastEscaped;
            if (last == U'\\' && !classEscape(&lastEscaped, &last))
                return false;
            if (!lastEscaped.empty()) {   // [a-\d]: a, '-', and the digits
                ranges.emplace_back(first, first);
                ranges.emplace_back(U'-', U'-');
                ranges.insert(ranges.end(), lastEscaped.begin(), lastEscaped.end());
                continue;
            }
            if (last < first)
                return false;
            ranges.emplace_back(first, last);
        } else {
            ranges.emplace_back(first, first);
        }
    }
    if (atEnd())
        return false;
    ++m_pos;   // ']'
    *into = PatternNode::set(negated ? complement(ranges) : ranges);
    return true;
}

bool PatternParser::classEscape(Ranges *ranges, char32_t *single)
{
    if (atEnd())
        return false;
    const char32_t c = peek();
    ++m_pos;
    switch (c) {
    case U'd': *ranges = digitRanges; return true;
    case U'D': *ranges = complement(digitRanges); return true;
    case U'w': *ranges = wordRanges; return true;
    case U'W': *ranges = complement(wordRanges); return true;
    case U's': *ranges = spaceRanges; return true;
    case U'S': *ranges = complement(spaceRanges); return true;
    case U'b': *single = 8; return true;
    case U't': *single = 9; return true;
    case U'n': *single = 10; return true;
    case U'v': *single = 11; return true;
    case U'f': *single = 12; return true;
    case U'r': *single = 13; return true;
    case U'0': *single = 0; return true;
    case U'c':
        if ((peek() >= U'a' && peek() <= U'z') || (peek() >= U'A' && peek() <= U'Z')) {
            *single = peek() % 32;
            ++m_pos;
        } else {
            *single = U'\\';
            --m_pos;
        }
        return true;
    case U'x':
    case U'u': {
        const auto value = hexDigits(c == U'x' ? 2 : 4);
        *single = value.value_or(c);
        return true;
    }
    case U'p':
    case U'P':
        // Unicode properties: approximated by ASCII letters (or what is not one), then checked.
        if (peek() == U'{') {
            while (!atEnd() && peek() != U'}')
                ++m_pos;
            if (atEnd())
                return false;
            ++m_pos;
        }
        m_exact = false;
        *ranges = c == U'p' ? letterRanges : complement(letterRanges);
        return true;
    default:
        *single = c;   // an escaped literal: \. \- \] \/ ...
        return true;
    }
}

bool PatternParser::escape(PatternNode *into)
{
    const char32_t c = peek();
    if (c == U'b' || c == U'B') {
        ++m_pos;
        m_exact = false;   // a word boundary: ignored, the final check decides
        into->kind = PatternNode::Empty;
        return true;
    }
    if (c >= U'1' && c <= U'9') {
        into->kind = PatternNode::BackReference;
        into->group = int(number());
        return true;
    }
    if (c == U'k' && peek(1) == U'<') {
        m_pos += 2;
        QString name;
        while (!atEnd() && peek() != U'>')
            name.append(QChar(char16_t(peek() < 0x10000 ? peek() : U'?'))), ++m_pos;
        if (atEnd())
            return false;
        ++m_pos;
        into->kind = PatternNode::BackReference;
        for (const auto &[groupName, number] : m_groupNames) {
            if (groupName == name)
                into->group = number;
        }
        return into->group > 0;
    }
    Ranges ranges;
    char32_t single = 0;
    if (!classEscape(&ranges, &single))
        return false;
    if (!ranges.empty()) {
        *into = PatternNode::set(std::move(ranges));
    } else {
        into->kind = PatternNode::Literal;
        into->literal = single;
    }
    return true;
}

std::optional<char32_t> PatternParser::hexDigits(int count)
{
    char32_t value = 0;
    for (int i = 0; i < count; ++i) {
        const int digit = hexValue(peek(size_t(i)));
        if (digit < 0)
            return std::nullopt;
        value = value * 16 + char32_t(digit);
    }
    m_pos += size_t(count);
    return value;
}

} // namespace Gatehouse::Simulation
