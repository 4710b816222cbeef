#include "jscodeeditor.h"

#include "widgets/jshighlighter.h"

#include <QFontDatabase>
#include <QHelpEvent>
#include <QPainter>
#include <QTextBlock>
#include <QToolTip>

namespace Gatehouse::Ui {

namespace {

// The margin left of the text; it only forwards painting to the editor.
class LineNumberArea final : public QWidget
{
public:
    explicit LineNumberArea(JsCodeEditor *editor)
        : QWidget(editor)
        , m_editor(editor)
    {
        setObjectName(QStringLiteral("jsLineNumbers"));
    }
    QSize sizeHint() const override { return {m_editor->lineNumberAreaWidth(), 0}; }

protected:
    void paintEvent(QPaintEvent *event) override { m_editor->paintLineNumbers(event); }

private:
    JsCodeEditor *m_editor;
};

const QColor kErrorBackground(255, 220, 220);
const QColor kErrorMark(200, 30, 30);
const QColor kCurrentLine(250, 248, 225);

} // namespace

JsCodeEditor::JsCodeEditor(QWidget *parent)
    : QPlainTextEdit(parent)
    , m_lineNumbers(new LineNumberArea(this))
    , m_highlighter(new JsHighlighter(document()))
{
    setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    setLineWrapMode(QPlainTextEdit::NoWrap);
    setTabStopDistance(fontMetrics().horizontalAdvance(QLatin1Char(' ')) * 4);
    connect(this, &QPlainTextEdit::blockCountChanged, this, &JsCodeEditor::updateMargin);
    connect(this, &QPlainTextEdit::updateRequest, this, &JsCodeEditor::updateArea);
    connect(this, &QPlainTextEdit::cursorPositionChanged, this, &JsCodeEditor::updateSelections);
    connect(this, &QPlainTextEdit::textChanged, this, [this] {
        if (m_errorLine > 0 && qHash(toPlainText()) != m_errorTextHash)
            clearError();
    });
    updateMargin();
    updateSelections();
}

JsCodeEditor::~JsCodeEditor() = default;

void JsCodeEditor::setErrorLine(int line, const QString &message)
{
    m_errorLine = qMax(0, line);
    m_errorMessage = message;
    m_errorTextHash = qHash(toPlainText());
    if (m_errorLine > 0) {
        const QTextBlock block = document()->findBlockByNumber(m_errorLine - 1);
        if (block.isValid()) {
            QTextCursor cursor(block);
            setTextCursor(cursor);
            ensureCursorVisible();
        }
    }
    updateSelections();
    m_lineNumbers->update();
}

void JsCodeEditor::clearError()
{
    if (m_errorLine == 0 && m_errorMessage.isEmpty())
        return;
    m_errorLine = 0;
    m_errorMessage.clear();
    updateSelections();
    m_lineNumbers->update();
}

int JsCodeEditor::lineNumberAreaWidth() const
{
    int digits = 2;
    for (int max = qMax(1, blockCount()); max >= 100; max /= 10)
        ++digits;
    return 12 + fontMetrics().horizontalAdvance(QLatin1Char('9')) * (digits + 1);
}

void JsCodeEditor::updateMargin()
{
    setViewportMargins(lineNumberAreaWidth(), 0, 0, 0);
}

void JsCodeEditor::updateArea(const QRect &rect, int dy)
{
    if (dy != 0)
        m_lineNumbers->scroll(0, dy);
    else
        m_lineNumbers->update(0, rect.y(), m_lineNumbers->width(), rect.height());
    if (rect.contains(viewport()->rect()))
        updateMargin();
}

void JsCodeEditor::resizeEvent(QResizeEvent *event)
{
    QPlainTextEdit::resizeEvent(event);
    const QRect r = contentsRect();
    m_lineNumbers->setGeometry(QRect(r.left(), r.top(), lineNumberAreaWidth(), r.height()));
}

bool JsCodeEditor::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip && m_errorLine > 0) {
        auto *help = static_cast<QHelpEvent *>(event);
        const QPoint inViewport = viewport()->mapFrom(this, help->pos());
        if (cursorForPosition(inViewport).blockNumber() + 1 == m_errorLine || help->pos().x() < lineNumberAreaWidth()) {
            QToolTip::showText(help->globalPos(), tr("Line %1: %2").arg(m_errorLine).arg(m_errorMessage), this);
            return true;
        }
        QToolTip::hideText();
    }
    return QPlainTextEdit::event(event);
}

void JsCodeEditor::setLineBackgrounds(const QHash<int, QColor> &byLine)
{
    m_lineBackgrounds = byLine;
    updateSelections();
}

void JsCodeEditor::updateSelections()
{
    QList<QTextEdit::ExtraSelection> selections;
    if (!isReadOnly()) {
        QTextEdit::ExtraSelection current;
        current.format.setBackground(kCurrentLine);
        current.format.setProperty(QTextFormat::FullWidthSelection, true);
        current.cursor = textCursor();
        current.cursor.clearSelection();
        selections.append(current);
    }
    for (auto it = m_lineBackgrounds.cbegin(); it != m_lineBackgrounds.cend(); ++it) {
        const QTextBlock block = document()->findBlockByNumber(it.key() - 1);
        if (!block.isValid())
            continue;
        QTextEdit::ExtraSelection line;
        line.format.setBackground(it.value());
        line.format.setProperty(QTextFormat::FullWidthSelection, true);
        line.cursor = QTextCursor(block);
        selections.append(line);
    }
    if (m_errorLine > 0) {
        const QTextBlock block = document()->findBlockByNumber(m_errorLine - 1);
        if (block.isValid()) {
            QTextEdit::ExtraSelection error;
            error.format.setBackground(kErrorBackground);
            error.format.setProperty(QTextFormat::FullWidthSelection, true);
            error.format.setToolTip(m_errorMessage);
            error.cursor = QTextCursor(block);
            selections.append(error);
        }
    }
    setExtraSelections(selections);
}

void JsCodeEditor::paintLineNumbers(QPaintEvent *event)
{
    QPainter painter(m_lineNumbers);
    painter.fillRect(event->rect(), palette().color(QPalette::AlternateBase));
    QTextBlock block = firstVisibleBlock();
    int number = block.blockNumber() + 1;
    int top = qRound(blockBoundingGeometry(block).translated(contentOffset()).top());
    int bottom = top + qRound(blockBoundingRect(block).height());
    const int width = m_lineNumbers->width() - 6;
    while (block.isValid() && top <= event->rect().bottom()) {
        if (block.isVisible() && bottom >= event->rect().top()) {
            const bool error = number == m_errorLine;
            QFont f = font();
            f.setBold(error);
            painter.setFont(f);
            painter.setPen(error ? kErrorMark : palette().color(QPalette::PlaceholderText));
            if (error)
                painter.drawText(2, top, width, fontMetrics().height(), Qt::AlignLeft, QStringLiteral("●"));
            painter.drawText(0, top, width, fontMetrics().height(), Qt::AlignRight, QString::number(number));
        }
        block = block.next();
        top = bottom;
        bottom = top + qRound(blockBoundingRect(block).height());
        ++number;
    }
}

} // namespace Gatehouse::Ui
