#pragma once

#include "patternnode.h"

#include <QString>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace Gatehouse::Simulation {

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

private:
    using Ranges = PatternNode::Ranges;

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
