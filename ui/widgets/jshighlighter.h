#pragma once

#include <QSyntaxHighlighter>
#include <QTextCharFormat>

namespace Gatehouse::Ui {

// JavaScript syntax highlighting for the function editor: keywords, literals (true, null…),
// strings, template literals and block comments (both may span lines: the block state carries
// them over), line comments, numbers, and names called as functions. A small scanner rather
// than regular expressions, so "//" inside a string is not a comment. GUI thread only.
class JsHighlighter final : public QSyntaxHighlighter
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(JsHighlighter)

public:
    enum Kind { Keyword, Literal, String, Template, Number, Comment, Call };

    explicit JsHighlighter(QTextDocument *document);
    ~JsHighlighter() override;

    static QTextCharFormat format(Kind kind);

protected:
    void highlightBlock(const QString &text) override;

private:
    enum State { Normal = 0, InComment = 1, InTemplate = 2 };
};

} // namespace Gatehouse::Ui
