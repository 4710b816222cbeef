#pragma once

#include <QJsonObject>
#include <QList>
#include <QStringList>
#include <QWidget>

#include <utility>

class QComboBox;
class QLabel;
class QLineEdit;

namespace Gatehouse::Ui {

class JsonArrayTable;
class ScenarioField;
class ScenarioWorkloadForm;

// The form view of a scenario document: name, description, seed, duration and target; the
// workloads (ScenarioWorkloadForm); the subscribers, thresholds and faults as tables. Every
// edit is a change to the document, so whatever the form does not show (a scenario's setup, an
// operation's query or headers) is kept as it was. Errors the engine gives as
// "<JSON Pointer>: <message>" are shown next to the field they name. GUI thread only.
class ScenarioForm final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ScenarioForm)

public:
    explicit ScenarioForm(QWidget *parent = nullptr);
    ~ScenarioForm() override;

    void setDocument(const QJsonObject &document);
    QJsonObject document() const { return m_doc; }

    // Shows each error at its field; returns those the form has no field for.
    QStringList showErrors(const QStringList &errors);
    void clearErrors();
    // The error shown at the field `pointer` names (empty: none, or no such field shown).
    QString fieldError(const QString &pointer) const;

    QLineEdit *field(const QString &member) const;          // top level: name, description, seed, duration, target
    QLineEdit *workloadField(const QString &member) const;  // of the workload shown
    QComboBox *workloadPicker() const;
    QComboBox *executor() const;
    JsonArrayTable *operations() const;
    JsonArrayTable *faults() const { return m_faults; }
    JsonArrayTable *thresholds() const { return m_thresholds; }

    static QStringList pointerTokens(const QString &pointer);

Q_SIGNALS:
    void changed();

private:
    using Error = std::pair<QStringList, QString>;   // pointer tokens, message

    ScenarioField *topField(const QString &member) const;
    JsonArrayTable *tableFor(const QString &head) const;   // subscribers, faults
    void writeTables();
    void applyErrors();

    QJsonObject m_doc;
    QList<ScenarioField *> m_top;
    ScenarioWorkloadForm *m_workloads = nullptr;
    JsonArrayTable *m_subscribers = nullptr;
    JsonArrayTable *m_thresholds = nullptr;
    JsonArrayTable *m_faults = nullptr;
    QLabel *m_errorCount = nullptr;
    bool m_filling = false;
    QList<Error> m_errors;   // those shown here (the workloads' are the workload form's)
};

} // namespace Gatehouse::Ui
