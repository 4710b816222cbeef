#include "patternnode.h"

#include <algorithm>

namespace Gatehouse::Simulation {

namespace {

qint64 saturatedAdd(qint64 a, qint64 b)
{
    return std::min(a + b, PatternNode::kUnbounded);
}

void collectGroups(const PatternNode &node, std::vector<const PatternNode *> *groups)
{
    if (node.kind == PatternNode::Group && node.group > 0) {
        if (groups->size() <= size_t(node.group))
            groups->resize(size_t(node.group) + 1, nullptr);
        (*groups)[size_t(node.group)] = &node;
    }
    for (const PatternNode &child : node.children)
        collectGroups(child, groups);
}

} // namespace

qint64 PatternNode::saturatedMultiply(qint64 a, qint64 b)
{
    if (a == 0 || b == 0)
        return 0;
    if (a >= kUnbounded / b)
        return kUnbounded;
    return std::min(a * b, kUnbounded);
}

PatternNode::Ranges PatternNode::normalized(Ranges ranges)
{
    std::sort(ranges.begin(), ranges.end());
    Ranges merged;
    for (const auto &range : ranges) {
        if (!merged.empty() && range.first <= merged.back().second + 1)
            merged.back().second = std::max(merged.back().second, range.second);
        else
            merged.push_back(range);
    }
    return merged;
}

PatternNode::Ranges PatternNode::complement(const Ranges &ranges)
{
    Ranges result;
    char32_t next = kPoolFirst;
    for (const auto &[first, last] : normalized(ranges)) {
        if (last < next)
            continue;
        if (first > kPoolLast)
            break;
        if (first > next)
            result.emplace_back(next, first - 1);
        next = last + 1;
    }
    if (next <= kPoolLast)
        result.emplace_back(next, kPoolLast);
    return result;
}

PatternNode PatternNode::set(Ranges setRanges)
{
    PatternNode node;
    node.kind = Set;
    node.ranges = normalized(std::move(setRanges));
    return node;
}

void PatternNode::finish()
{
    std::vector<const PatternNode *> groups;
    collectGroups(*this, &groups);
    computeLengths(groups);
}

void PatternNode::computeLengths(const std::vector<const PatternNode *> &groups)
{
    for (PatternNode &child : children)
        child.computeLengths(groups);
    switch (kind) {
    case Empty:
    case StartAnchor:
    case EndAnchor:
        minLength = maxLength = 0;
        break;
    case Literal:
        minLength = maxLength = 1;
        break;
    case Set:
        // An empty class ([]) matches nothing: no length fits.
        minLength = ranges.empty() ? kUnbounded : 1;
        maxLength = 1;
        break;
    case Sequence:
        minLength = maxLength = 0;
        for (const PatternNode &child : children) {
            minLength = saturatedAdd(minLength, child.minLength);
            maxLength = saturatedAdd(maxLength, child.maxLength);
        }
        break;
    case Alternation:
        minLength = kUnbounded;
        maxLength = 0;
        for (const PatternNode &child : children) {
            minLength = std::min(minLength, child.minLength);
            maxLength = std::max(maxLength, child.maxLength);
        }
        break;
    case Group:
        minLength = children.front().minLength;
        maxLength = children.front().maxLength;
        break;
    case Repeat:
        minLength = saturatedMultiply(children.front().minLength, repeatMin);
        maxLength = saturatedMultiply(children.front().maxLength, repeatMax);
        break;
    case BackReference: {
        const PatternNode *target = group >= 0 && size_t(group) < groups.size() ? groups[size_t(group)] : nullptr;
        // A group that has not matched yet makes its back-reference empty.
        minLength = 0;
        maxLength = target ? target->maxLength : 0;
        break;
    }
    }
}

// Whether every way through `node` starts (or ends) with ^ (or $).
bool PatternNode::anchoredAt(bool atStart) const
{
    switch (kind) {
    case StartAnchor: return atStart;
    case EndAnchor: return !atStart;
    case Group: return children.front().anchoredAt(atStart);
    case Sequence:
        if (children.empty())
            return false;
        return (atStart ? children.front() : children.back()).anchoredAt(atStart);
    case Alternation:
        return std::all_of(children.begin(), children.end(),
                           [atStart](const PatternNode &branch) { return branch.anchoredAt(atStart); });
    default:
        return false;
    }
}

} // namespace Gatehouse::Simulation
