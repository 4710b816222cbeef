#pragma once

#include <QElapsedTimer>
#include <QJsonObject>
#include "location.h"

#include <QWidget>

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QTabWidget;
class QTableView;

namespace Gatehouse::Ui {

class EngineClient;
class FunctionDeadLettersPanel;
class FunctionTestPanel;
class FunctionVersionsPanel;
class JsCodeEditor;
class JsonRowsModel;
class MetricChart;

// The Functions page: the deployed functions with their stats (GET /admin/functions), an
// editor for the selected or a new function (JavaScript with line numbers and highlighting,
// and its triggers and settings as JSON), Deploy (PUT /admin/functions/{name}) with a refused
// deploy's error shown at its line, the versions with Rollback, the recent log lines and
// stats, and the dead letters with Replay and Skip. Stats refresh about once a second while
// the page is visible. GUI thread only.
class FunctionsPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FunctionsPage)

public:
    explicit FunctionsPage(EngineClient *client, QWidget *parent = nullptr);
    ~FunctionsPage() override;

    JsonRowsModel *functions() const { return m_functions; }
    JsonRowsModel *versions() const;
    FunctionDeadLettersPanel *deadLetters() const { return m_deadLetters; }
    JsCodeEditor *codeEditor() const { return m_code; }
    void refresh();
    void newFunction();
    void openFunction(const QString &name);
    void openDeadLetter(const QString &id);   // on the Dead letters tab
    void openDeadLettersOfEvent(const QString &eventId);   // all of them selected, or a word that there are none

    static QString defaultCode();
    static QString defaultSettings();

Q_SIGNALS:
    void openRequested(const Gatehouse::Ui::Location &location);

protected:
    void showEvent(QShowEvent *event) override;

private:
    void maybeRefresh();
    void selectionChanged();
    void load(const QString &name);
    void showDefinition(const QJsonObject &function);
    void showStats(const QJsonObject &function);
    void deploy();
    void rolledBack(qint64 fromVersion, const QJsonObject &function);
    void removeSelected();
    void setMessage(const QString &text, bool error);
    QString selectedName() const;

    EngineClient *m_client;
    JsonRowsModel *m_functions = nullptr;
    QTableView *m_list = nullptr;
    QLineEdit *m_name = nullptr;
    QPushButton *m_deploy = nullptr;
    QLabel *m_message = nullptr;
    QTabWidget *m_tabs = nullptr;
    JsCodeEditor *m_code = nullptr;
    QPlainTextEdit *m_settings = nullptr;
    FunctionVersionsPanel *m_versionsPanel = nullptr;
    QLabel *m_stats = nullptr;
    QPlainTextEdit *m_log = nullptr;
    FunctionDeadLettersPanel *m_deadLetters = nullptr;
    FunctionTestPanel *m_test = nullptr;
    MetricChart *m_invocationsChart = nullptr;
    MetricChart *m_errorsChart = nullptr;
    MetricChart *m_p99Chart = nullptr;
    QString m_chartedFunction;   // whose stats the charts show
    qint64 m_chartedAtMs = 0;
    double m_chartedInvocations = 0;
    double m_chartedErrors = 0;
    QString m_loaded;          // the function in the editor ("" for a new one)
    QString m_selectAfterRefresh;
    bool m_inFlight = false;
    QElapsedTimer m_sinceRefresh;
};

} // namespace Gatehouse::Ui
