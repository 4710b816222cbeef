#pragma once

#include <QJsonObject>
#include <QWidget>

#include <functional>

class QCheckBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;

namespace Gatehouse::Ui {

class EngineClient;

// The Functions page's "Test" tab: runs the function on one event of the log (a position; by
// default the newest) or on a sample event typed in as JSON, with its deployed code or with the
// code in the editor, and shows what it would write, emit and log, its result or its error at
// its line, and how long it took -- without writing anything (POST /admin/functions/{name}/test).
// GUI thread only.
class FunctionTestPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FunctionTestPanel)

public:
    // `editorCode` gives the code in the editor, for "with the editor's code".
    FunctionTestPanel(EngineClient *client, std::function<QString()> editorCode, QWidget *parent = nullptr);
    ~FunctionTestPanel() override;

    void setFunction(const QString &name);   // empty: nothing to test
    void run();
    QJsonObject lastAnswer() const { return m_last; }

Q_SIGNALS:
    void finished(bool ok);
    void errorLine(int line, const QString &message);   // the editor's code failed there

private:
    void show(const QJsonObject &answer);

    EngineClient *m_client;
    std::function<QString()> m_editorCode;
    QString m_name;
    QLineEdit *m_position = nullptr;
    QPlainTextEdit *m_sample = nullptr;
    QCheckBox *m_useEditor = nullptr;
    QPushButton *m_run = nullptr;
    QLabel *m_status = nullptr;
    QPlainTextEdit *m_output = nullptr;
    QJsonObject m_last;
    quint64 m_generation = 0;
};

} // namespace Gatehouse::Ui
