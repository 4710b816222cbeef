#pragma once

#include <QJsonArray>
#include <QList>
#include <QStringList>
#include <QWidget>

#include <utility>

class QComboBox;
class QFormLayout;

namespace Gatehouse::Ui {

class JsonArrayTable;
class ScenarioField;

// The workloads of a scenario, one at a time: which one (add, remove), its name, executor and
// the fields that executor uses (others hidden unless the workload has them), its stages and
// its operation mix. Edits change the workload objects, keeping members the form does not show.
// Errors are given as the pointer tokens after "/workloads" ("0", "rate"); the first workload
// with one is shown. GUI thread only.
class ScenarioWorkloadForm final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ScenarioWorkloadForm)

public:
    using Error = std::pair<QStringList, QString>;   // tokens after "/workloads", message

    explicit ScenarioWorkloadForm(QWidget *parent = nullptr);
    ~ScenarioWorkloadForm() override;

    void setWorkloads(const QJsonArray &workloads);   // keeps the shown index when it can
    QJsonArray workloads() const { return m_workloads; }
    int current() const { return m_current; }

    bool hasField(const QStringList &tokens) const;   // a place for an error at these tokens
    void setErrors(const QList<Error> &errors);
    QString fieldError(const QStringList &tokens) const;

    QComboBox *picker() const { return m_picker; }
    QComboBox *executor() const { return m_executor; }
    ScenarioField *field(const QString &member) const;
    JsonArrayTable *operations() const { return m_operations; }

Q_SIGNALS:
    void changed();

private:
    void show(int index);
    void updateRows();
    void write(const QString &member, const QJsonValue &value);
    void writeTables();
    void applyErrors();

    QJsonArray m_workloads;
    QFormLayout *m_form = nullptr;
    QComboBox *m_picker = nullptr;
    QComboBox *m_executor = nullptr;
    QList<ScenarioField *> m_fields;
    QWidget *m_stagesRow = nullptr;
    JsonArrayTable *m_stages = nullptr;
    JsonArrayTable *m_operations = nullptr;
    int m_current = -1;
    bool m_filling = false;
    QList<Error> m_errors;
};

} // namespace Gatehouse::Ui
