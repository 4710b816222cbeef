#pragma once

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QStringList>
#include <QWidget>

class QComboBox;
class QFormLayout;
class QLabel;
class QLineEdit;

namespace Gatehouse::Ui {

class JsonArrayTable;

// The form view of a scenario document: name, description, seed, duration and target; the
// workloads one at a time (executor and the fields it uses, stages, the operation mix); the
// subscribers, thresholds and faults as tables. Every edit is a change to the document, so
// whatever the form does not show (a scenario's setup, an operation's query or headers) is
// kept as it was. Errors the engine gives as "<JSON Pointer>: <message>" are shown next to
// the field they name. GUI thread only.
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
    QComboBox *workloadPicker() const { return m_workloads; }
    QComboBox *executor() const { return m_executor; }
    JsonArrayTable *operations() const { return m_operations; }
    JsonArrayTable *faults() const { return m_faults; }
    JsonArrayTable *thresholds() const { return m_thresholds; }

    static QStringList pointerTokens(const QString &pointer);

Q_SIGNALS:
    void changed();

private:
    struct Field
    {
        QString member;
        QLineEdit *edit = nullptr;
        QLabel *error = nullptr;
        QWidget *row = nullptr;
    };

    Field makeField(QFormLayout *form, const QString &member, const QString &label, bool number);
    void showWorkload(int index);
    void updateExecutorRows();
    void writeWorkload(const QString &member, const QJsonValue &value);
    void writeTables();
    void applyErrors();
    static void setFieldError(const Field &f, const QString &message);

    QJsonObject m_doc;
    QList<Field> m_top;
    QList<Field> m_workloadFields;
    QFormLayout *m_workloadForm = nullptr;
    QComboBox *m_workloads = nullptr;
    QComboBox *m_executor = nullptr;
    QWidget *m_stagesRow = nullptr;
    JsonArrayTable *m_stages = nullptr;
    JsonArrayTable *m_operations = nullptr;
    JsonArrayTable *m_subscribers = nullptr;
    JsonArrayTable *m_thresholds = nullptr;
    JsonArrayTable *m_faults = nullptr;
    QLabel *m_errorCount = nullptr;
    int m_current = -1;
    bool m_filling = false;
    QList<std::pair<QStringList, QString>> m_errors;   // placed errors: pointer tokens, message
};

} // namespace Gatehouse::Ui
