#include "linediff.h"

#include <vector>

namespace Gatehouse::Ui::LineDiff {

QList<DiffLine> compare(const QStringList &before, const QStringList &after, bool *tooLarge)
{
    if (tooLarge)
        *tooLarge = false;
    // The common head and tail first: edits are usually small, and the table shrinks to them.
    qsizetype head = 0;
    while (head < before.size() && head < after.size() && before.at(head) == after.at(head))
        ++head;
    qsizetype tail = 0;
    while (tail < before.size() - head && tail < after.size() - head
           && before.at(before.size() - 1 - tail) == after.at(after.size() - 1 - tail))
        ++tail;
    const qsizetype n = before.size() - head - tail;
    const qsizetype m = after.size() - head - tail;
    if (n > kMaxLines || m > kMaxLines) {
        if (tooLarge)
            *tooLarge = true;
        return {};
    }
    QList<DiffLine> out;
    out.reserve(before.size() + m);
    for (qsizetype i = 0; i < head; ++i)
        out.append({DiffLine::Kind::Same, before.at(i)});
    // lcs[i][j]: the longest common subsequence of before[head+i..] and after[head+j..].
    const size_t width = size_t(m) + 1;
    std::vector<quint32> lcs((size_t(n) + 1) * width, 0);
    for (qsizetype i = n - 1; i >= 0; --i) {
        for (qsizetype j = m - 1; j >= 0; --j) {
            lcs[size_t(i) * width + size_t(j)] = before.at(head + i) == after.at(head + j)
                ? lcs[size_t(i + 1) * width + size_t(j + 1)] + 1
                : qMax(lcs[size_t(i + 1) * width + size_t(j)], lcs[size_t(i) * width + size_t(j + 1)]);
        }
    }
    qsizetype i = 0, j = 0;
    while (i < n && j < m) {
        if (before.at(head + i) == after.at(head + j)) {
            out.append({DiffLine::Kind::Same, before.at(head + i)});
            ++i;
            ++j;
        } else if (lcs[size_t(i + 1) * width + size_t(j)] >= lcs[size_t(i) * width + size_t(j + 1)]) {
            out.append({DiffLine::Kind::Removed, before.at(head + i++)});
        } else {
            out.append({DiffLine::Kind::Added, after.at(head + j++)});
        }
    }
    while (i < n)
        out.append({DiffLine::Kind::Removed, before.at(head + i++)});
    while (j < m)
        out.append({DiffLine::Kind::Added, after.at(head + j++)});
    for (qsizetype k = before.size() - tail; k < before.size(); ++k)
        out.append({DiffLine::Kind::Same, before.at(k)});
    return out;
}

QString unified(const QList<DiffLine> &lines)
{
    QString text;
    for (const DiffLine &l : lines) {
        text += l.kind == DiffLine::Kind::Added ? QStringLiteral("+ ") : l.kind == DiffLine::Kind::Removed ? QStringLiteral("- ") : QStringLiteral("  ");
        text += l.text;
        text += u'\n';
    }
    return text;
}

} // namespace Gatehouse::Ui::LineDiff
