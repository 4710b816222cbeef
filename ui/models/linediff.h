#pragma once

#include <QList>
#include <QString>
#include <QStringList>

namespace Gatehouse::Ui {

// A line diff of two texts (the longest common subsequence of their lines): what stayed, what
// was removed from the first, what was added in the second, in order. Texts of more than
// kMaxLines lines each are not compared (the answer is empty and `*tooLarge` set).
struct DiffLine
{
    enum class Kind { Same, Removed, Added };
    Kind kind = Kind::Same;
    QString text;

    friend bool operator==(const DiffLine &a, const DiffLine &b) { return a.kind == b.kind && a.text == b.text; }
};

namespace LineDiff {
constexpr qsizetype kMaxLines = 2000;   // changed lines each: a table of at most 16 MB
QList<DiffLine> compare(const QStringList &before, const QStringList &after, bool *tooLarge = nullptr);
// "  same", "- removed", "+ added", one per line.
QString unified(const QList<DiffLine> &lines);
} // namespace LineDiff

} // namespace Gatehouse::Ui
