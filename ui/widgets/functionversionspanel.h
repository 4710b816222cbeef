#pragma once

#include <QJsonObject>
#include <QWidget>

class QComboBox;
class QPushButton;
class QTableView;

namespace Gatehouse::Ui {

class EngineClient;
class JsCodeEditor;
class JsonRowsModel;

// The versions of one function (GET /admin/functions/{name}/versions), newest first, the
// selected version's code -- or, with "Compare with" another version, the line diff from that
// one to the selected one (removed lines red, added green) -- and "Roll back to this version"
// (POST …/rollback {"version": N}, which deploys the old definition as a new version).
// GUI thread only.
class FunctionVersionsPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FunctionVersionsPanel)

public:
    explicit FunctionVersionsPanel(EngineClient *client, QWidget *parent = nullptr);
    ~FunctionVersionsPanel() override;

    JsonRowsModel *versions() const { return m_model; }
    void showFunction(const QString &name);   // empty: clear
    void reload();
    void compareWith(qint64 version);   // 0: show the code, no diff
    QString shownText() const;          // the code or the diff as shown

Q_SIGNALS:
    void rolledBack(qint64 fromVersion, const QJsonObject &function);
    void failed(const QString &message);

private:
    void rollback();
    void showSelected();

    EngineClient *m_client;
    JsonRowsModel *m_model = nullptr;
    QTableView *m_table = nullptr;
    JsCodeEditor *m_code = nullptr;
    QPushButton *m_rollback = nullptr;
    QComboBox *m_compare = nullptr;
    QString m_name;
};

} // namespace Gatehouse::Ui
