#pragma once

#include <QString>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace Gatehouse::Simulation {

// One node of a parsed regular expression, shaped for generating text rather than matching
// it: a character set is the list of characters it may produce. Lengths are in code points;
// kUnbounded stands for "no upper limit". Internal to PatternGenerator.
struct PatternNode
{
    static constexpr qint64 kUnbounded = qint64(1) << 40;

    enum Kind { Empty, Literal, Set, Sequence, Alternation, Group, Repeat, BackReference, StartAnchor, EndAnchor };
    Kind kind = Empty;
    char32_t literal = 0;
    std::vector<std::pair<char32_t, char32_t>> ranges;   // Set: inclusive, disjoint, sorted
    std::vector<PatternNode> children;                   // Sequence, Alternation; Group and Repeat: one
    qint64 repeatMin = 0;                                // Repeat
    qint64 repeatMax = 0;                                // Repeat: kUnbounded for * + {n,}
    bool fewest = false;                                 // Repeat: take the fewest repetitions the length allows
    int group = -1;                                      // Group: capture number; BackReference: which one
    qint64 minLength = 0;
    qint64 maxLength = 0;

    static PatternNode set(std::vector<std::pair<char32_t, char32_t>> ranges);
    void computeLengths(const std::vector<const PatternNode *> &groups);
};

// Reads an ECMA-262 pattern into the PatternNode tree of a search for it: the pattern inside
// a sequence between two fillers (text before and after, none where it is anchored).
// `exact` turns false where a construct is approximated (lookaround and \b become nothing,
// \p{...} a letter); nullopt when the pattern is not understood at all.
class PatternParser
{
public:
    explicit PatternParser(const QString &pattern);
    std::optional<PatternNode> parse();
    bool exact() const { return m_exact; }
    int groupCount() const { return m_groups; }

    // The characters generated where a pattern says "any" ('.', [^...], \D ...): printable ASCII.
    static constexpr char32_t kPoolFirst = 0x20;
    static constexpr char32_t kPoolLast = 0x7E;

private:
    using Ranges = std::vector<std::pair<char32_t, char32_t>>;

    bool alternation(PatternNode *into);
    bool sequence(PatternNode *into);
    bool atom(PatternNode *into);
    bool quantifier(PatternNode *atom);
    bool braces(qint64 *min, qint64 *max);
    bool characterClass(PatternNode *into);
    bool escape(PatternNode *into);
    bool classEscape(Ranges *ranges, char32_t *single);
    bool groupStart(PatternNode *into);
    std::optional<char32_t> hexDigits(int count);
    qint64 number();

    bool atEnd() const { return m_pos >= m_text.size(); }
    char32_t peek(size_t ahead = 0) const { return m_pos + ahead < m_text.size() ? m_text[m_pos + ahead] : 0; }

    std::u32string m_text;
    size_t m_pos = 0;
    int m_groups = 0;
    bool m_exact = true;
    std::vector<std::pair<QString, int>> m_groupNames;
};

} // namespace Gatehouse::Simulation
