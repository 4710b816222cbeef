#pragma once

#include <QColor>
#include <QHash>
#include <QPlainTextEdit>

namespace Gatehouse::Ui {

class JsHighlighter;

// A JavaScript editor for function code: line numbers in a left margin, the current line
// tinted, JavaScript highlighting, and one error line (the deploy-time error of the admin
// API): tinted red, marked in the margin, its message as the tooltip over the line. Editing
// the text clears the error. GUI thread only.
class JsCodeEditor final : public QPlainTextEdit
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(JsCodeEditor)

public:
    explicit JsCodeEditor(QWidget *parent = nullptr);
    ~JsCodeEditor() override;

    void setErrorLine(int line, const QString &message);   // 1-based; moves the cursor there
    // Whole lines with a background (1-based line -> colour), e.g. a diff's added and removed
    // lines; kept until set again (an empty map clears them).
    void setLineBackgrounds(const QHash<int, QColor> &byLine);
    void clearError();
    int errorLine() const { return m_errorLine; }   // 0: none
    QString errorMessage() const { return m_errorMessage; }
    JsHighlighter *highlighter() const { return m_highlighter; }

    int lineNumberAreaWidth() const;
    void paintLineNumbers(QPaintEvent *event);

protected:
    void resizeEvent(QResizeEvent *event) override;
    bool event(QEvent *event) override;

private:
    void updateMargin();
    void updateArea(const QRect &rect, int dy);
    void updateSelections();

    QWidget *m_lineNumbers = nullptr;
    JsHighlighter *m_highlighter = nullptr;
    int m_errorLine = 0;
    QHash<int, QColor> m_lineBackgrounds;
    QString m_errorMessage;
    size_t m_errorTextHash = 0;   // the text the error belongs to
};

} // namespace Gatehouse::Ui
