#include "jshighlighter.h"

#include <QSet>

namespace Gatehouse::Ui {

namespace {

const QSet<QString> &keywords()
{
    static const QSet<QString> words{
        QStringLiteral("async"), QStringLiteral("await"), QStringLiteral("break"), QStringLiteral("case"),
        QStringLiteral("catch"), QStringLiteral("class"), QStringLiteral("const"), QStringLiteral("continue"),
        QStringLiteral("debugger"), QStringLiteral("default"), QStringLiteral("delete"), QStringLiteral("do"),
        QStringLiteral("else"), QStringLiteral("export"), QStringLiteral("extends"), QStringLiteral("finally"),
        QStringLiteral("for"), QStringLiteral("function"), QStringLiteral("if"), QStringLiteral("import"),
        QStringLiteral("in"), QStringLiteral("instanceof"), QStringLiteral("let"), QStringLiteral("new"),
        QStringLiteral("of"), QStringLiteral("return"), QStringLiteral("static"), QStringLiteral("super"),
        QStringLiteral("switch"), QStringLiteral("throw"), QStringLiteral("try"), QStringLiteral("typeof"),
        QStringLiteral("var"), QStringLiteral("void"), QStringLiteral("while"), QStringLiteral("with"),
        QStringLiteral("yield"),
    };
    return words;
}

const QSet<QString> &literals()
{
    static const QSet<QString> words{QStringLiteral("true"), QStringLiteral("false"), QStringLiteral("null"),
                                     QStringLiteral("undefined"), QStringLiteral("this"), QStringLiteral("NaN"),
                                     QStringLiteral("Infinity")};
    return words;
}

bool isIdentifierStart(QChar c)
{
    return c.isLetter() || c == u'_' || c == u'$';
}

bool isIdentifierPart(QChar c)
{
    return c.isLetterOrNumber() || c == u'_' || c == u'$';
}

// Index after the closing `quote` (or the line's end), skipping backslash escapes.
qsizetype skipQuoted(const QString &text, qsizetype from, QChar quote, bool *closed)
{
    qsizetype i = from;
    while (i < text.size() && text.at(i) != quote)
        i += text.at(i) == u'\\' ? 2 : 1;
    *closed = i < text.size();
    return qMin(i + 1, text.size());
}

} // namespace

JsHighlighter::JsHighlighter(QTextDocument *document)
    : QSyntaxHighlighter(document)
{
}

JsHighlighter::~JsHighlighter() = default;

QTextCharFormat JsHighlighter::format(Kind kind)
{
    QTextCharFormat f;
    switch (kind) {
    case Keyword:
        f.setForeground(QColor(0x00, 0x33, 0xb3));
        f.setFontWeight(QFont::Bold);
        break;
    case Literal: f.setForeground(QColor(0x87, 0x10, 0x94)); break;
    case String: f.setForeground(QColor(0x06, 0x7d, 0x17)); break;
    case Template: f.setForeground(QColor(0x00, 0x80, 0x80)); break;
    case Number: f.setForeground(QColor(0x17, 0x50, 0xeb)); break;
    case Comment:
        f.setForeground(QColor(0x8c, 0x8c, 0x8c));
        f.setFontItalic(true);
        break;
    case Call: f.setForeground(QColor(0x00, 0x62, 0x7a)); break;
    }
    return f;
}

void JsHighlighter::highlightBlock(const QString &text)
{
    int state = previousBlockState() < 0 ? Normal : previousBlockState();
    const qsizetype n = text.size();
    qsizetype i = 0;
    while (i < n) {
        if (state == InComment) {
            const qsizetype end = text.indexOf(QLatin1String("*/"), i);
            const qsizetype stop = end < 0 ? n : end + 2;
            setFormat(int(i), int(stop - i), format(Comment));
            i = stop;
            if (end >= 0)
                state = Normal;
            continue;
        }
        if (state == InTemplate) {
            bool closed = false;
            const qsizetype stop = skipQuoted(text, i, u'`', &closed);
            setFormat(int(i), int(stop - i), format(Template));
            i = stop;
            if (closed)
                state = Normal;
            continue;
        }
        const QChar c = text.at(i);
        const QChar next = i + 1 < n ? text.at(i + 1) : QChar();
        if (c == u'/' && next == u'/') {
            setFormat(int(i), int(n - i), format(Comment));
            break;
        }
        if (c == u'/' && next == u'*') {
            setFormat(int(i), 2, format(Comment));
            i += 2;
            state = InComment;
            continue;
        }
        if (c == u'`') {
            setFormat(int(i), 1, format(Template));
            ++i;
            state = InTemplate;
            continue;
        }
        if (c == u'"' || c == u'\'') {
            bool closed = false;
            const qsizetype stop = skipQuoted(text, i + 1, c, &closed);
            setFormat(int(i), int(stop - i), format(String));
            i = stop;
            continue;
        }
        if (c.isDigit() || (c == u'.' && next.isDigit())) {
            qsizetype j = i + 1;
            while (j < n) {
                const QChar d = text.at(j);
                const bool exponentSign = (d == u'+' || d == u'-') && (text.at(j - 1) == u'e' || text.at(j - 1) == u'E')
                    && !text.mid(i, 2).startsWith(QLatin1String("0x"), Qt::CaseInsensitive);
                if (!(d.isLetterOrNumber() || d == u'.' || d == u'_' || exponentSign))
                    break;
                ++j;
            }
            setFormat(int(i), int(j - i), format(Number));
            i = j;
            continue;
        }
        if (isIdentifierStart(c)) {
            qsizetype j = i + 1;
            while (j < n && isIdentifierPart(text.at(j)))
                ++j;
            const QString word = text.mid(i, j - i);
            qsizetype k = j;
            while (k < n && text.at(k).isSpace())
                ++k;
            if (keywords().contains(word))
                setFormat(int(i), int(j - i), format(Keyword));
            else if (literals().contains(word))
                setFormat(int(i), int(j - i), format(Literal));
            else if (k < n && text.at(k) == u'(')
                setFormat(int(i), int(j - i), format(Call));
            i = j;
            continue;
        }
        ++i;
    }
    setCurrentBlockState(state);
}

} // namespace Gatehouse::Ui
