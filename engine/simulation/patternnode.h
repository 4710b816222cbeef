#pragma once

#include <QtGlobal>

#include <utility>
#include <vector>

namespace Gatehouse::Simulation {

// One node of a parsed regular expression, shaped for generating text rather than matching
// it: a character set is the list of characters it may produce. Lengths are in code points;
// kUnbounded stands for "no upper limit". Internal to PatternGenerator.
struct PatternNode
{
    static constexpr qint64 kUnbounded = qint64(1) << 40;
    using Ranges = std::vector<std::pair<char32_t, char32_t>>;

    enum Kind { Empty, Literal, Set, Sequence, Alternation, Group, Repeat, BackReference, StartAnchor, EndAnchor };
    Kind kind = Empty;
    char32_t literal = 0;
    Ranges ranges;                                       // Set: inclusive, disjoint, sorted
    std::vector<PatternNode> children;                   // Sequence, Alternation; Group and Repeat: one
    qint64 repeatMin = 0;                                // Repeat
    qint64 repeatMax = 0;                                // Repeat: kUnbounded for * + {n,}
    bool fewest = false;                                 // Repeat: take the fewest repetitions the length allows
    int group = -1;                                      // Group: capture number; BackReference: which one
    qint64 minLength = 0;
    qint64 maxLength = 0;

    // The characters generated where a pattern says "any" ('.', [^...], \D ...): printable ASCII.
    static constexpr char32_t kPoolFirst = 0x20;
    static constexpr char32_t kPoolLast = 0x7E;

    static PatternNode set(Ranges ranges);
    static Ranges normalized(Ranges ranges);        // sorted, overlaps merged
    static Ranges complement(const Ranges &ranges); // the pool's characters outside `ranges`
    static qint64 saturatedMultiply(qint64 a, qint64 b);   // capped at kUnbounded

    // Once the tree is built: every node's minLength and maxLength (back-references included).
    void finish();
    // Whether every way through this node starts with ^ (atStart) or ends with $.
    bool anchoredAt(bool atStart) const;

private:
    void computeLengths(const std::vector<const PatternNode *> &groups);
};

} // namespace Gatehouse::Simulation
