#include "scenarioform.h"

#include "jsonarraytable.h"
#include "scenariofield.h"
#include "scenarioworkloadform.h"

#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QVBoxLayout>

#include <tuple>

namespace Gatehouse::Ui {

namespace {
using Kind = JsonArrayTable::Kind;
}

QStringList ScenarioForm::pointerTokens(const QString &pointer)
{
    QStringList tokens = pointer.split(QLatin1Char('/'));
    if (!tokens.isEmpty() && tokens.constFirst().isEmpty())
        tokens.removeFirst();
    for (QString &t : tokens)
        t.replace(QStringLiteral("~1"), QStringLiteral("/")).replace(QStringLiteral("~0"), QStringLiteral("~"));
    return tokens;
}

ScenarioForm::ScenarioForm(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("scenarioForm"));
    auto *general = new QGroupBox(tr("Scenario"), this);
    auto *top = new QFormLayout(general);
    const std::tuple<const char *, const char *, bool> members[] = {
        {"name", "Name", false}, {"description", "Description", false}, {"seed", "Seed", true},
        {"duration", "Duration", true}, {"target", "Target", false}};
    for (const auto &[member, label, numeric] : members) {
        const QString name = QString::fromLatin1(member);
        auto *field = new ScenarioField(name, numeric, general);
        m_top.append(field);
        top->addRow(tr(label), field);
        connect(field, &ScenarioField::edited, this, [this, name](const QJsonValue &value) {
            if (value.isUndefined())
                m_doc.remove(name);
            else
                m_doc.insert(name, value);
            Q_EMIT changed();
        });
    }
    topField(QStringLiteral("name"))->edit()->setToolTip(tr("The stored scenario's name: a new name saves a copy"));
    topField(QStringLiteral("target"))->edit()->setPlaceholderText(tr("this engine"));

    auto *workloads = new QGroupBox(tr("Workloads"), this);
    m_workloads = new ScenarioWorkloadForm(workloads);
    auto *workloadsLayout = new QVBoxLayout(workloads);
    workloadsLayout->addWidget(m_workloads);
    connect(m_workloads, &ScenarioWorkloadForm::changed, this, [this] {
        m_doc.insert(QStringLiteral("workloads"), m_workloads->workloads());
        Q_EMIT changed();
    });

    auto *others = new QGroupBox(tr("Subscribers, thresholds and faults"), this);
    auto *otherForm = new QFormLayout(others);
    m_subscribers = new JsonArrayTable({{QStringLiteral("protocol"), tr("Protocol")}, {QStringLiteral("connections"), tr("Connections"), Kind::Number},
                                        {QStringLiteral("collections"), tr("Collections"), Kind::List}, {QStringLiteral("topic"), tr("Topic")}}, others);
    m_subscribers->setObjectName(QStringLiteral("subscribersTable"));
    otherForm->addRow(tr("Subscribers"), JsonArrayTable::withButtons(m_subscribers, {{QStringLiteral("protocol"), QStringLiteral("websocket")}, {QStringLiteral("connections"), 1}}));
    m_thresholds = new JsonArrayTable({{QStringLiteral("metric"), tr("Metric")}, {QStringLiteral("expressions"), tr("Expressions"), Kind::List}}, others);
    m_thresholds->setObjectName(QStringLiteral("thresholdsTable"));
    otherForm->addRow(tr("Thresholds"), JsonArrayTable::withButtons(m_thresholds, {{QStringLiteral("metric"), QStringLiteral("errors")}, {QStringLiteral("expressions"), QJsonArray{QStringLiteral("rate<0.01")}}}));
    m_faults = new JsonArrayTable({{QStringLiteral("kind"), tr("Kind")}, {QStringLiteral("at"), tr("At"), Kind::Number},
                                   {QStringLiteral("for"), tr("For"), Kind::Number}, {{}, tr("More (JSON)"), Kind::Rest}}, others);
    m_faults->setObjectName(QStringLiteral("faultsTable"));
    otherForm->addRow(tr("Faults"), JsonArrayTable::withButtons(m_faults, {{QStringLiteral("kind"), QStringLiteral("commit_delay")}, {QStringLiteral("delay"), QStringLiteral("5ms")}, {QStringLiteral("at"), QStringLiteral("1s")}, {QStringLiteral("for"), QStringLiteral("5s")}}));

    m_errorCount = new QLabel(this);
    m_errorCount->setObjectName(QStringLiteral("formErrorCount"));
    m_errorCount->setStyleSheet(QStringLiteral("color: #b71c1c;"));
    m_errorCount->hide();
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_errorCount);
    layout->addWidget(general);
    layout->addWidget(workloads);
    layout->addWidget(others);
    layout->addStretch(1);
    for (JsonArrayTable *table : {m_subscribers, m_thresholds, m_faults})
        connect(table, &JsonArrayTable::edited, this, &ScenarioForm::writeTables);
    setDocument({});
}

ScenarioForm::~ScenarioForm() = default;

ScenarioField *ScenarioForm::topField(const QString &member) const
{
    for (ScenarioField *f : m_top) {
        if (f->member() == member)
            return f;
    }
    return nullptr;
}

QLineEdit *ScenarioForm::field(const QString &member) const
{
    const ScenarioField *f = topField(member);
    return f ? f->edit() : nullptr;
}

QLineEdit *ScenarioForm::workloadField(const QString &member) const
{
    const ScenarioField *f = m_workloads->field(member);
    return f ? f->edit() : nullptr;
}

QComboBox *ScenarioForm::workloadPicker() const
{
    return m_workloads->picker();
}

QComboBox *ScenarioForm::executor() const
{
    return m_workloads->executor();
}

JsonArrayTable *ScenarioForm::operations() const
{
    return m_workloads->operations();
}

JsonArrayTable *ScenarioForm::tableFor(const QString &head) const
{
    if (head == QLatin1String("subscribers"))
        return m_subscribers;
    return head == QLatin1String("faults") ? m_faults : nullptr;
}

void ScenarioForm::setDocument(const QJsonObject &document)
{
    m_doc = document;
    m_filling = true;
    for (ScenarioField *f : std::as_const(m_top))
        f->setValue(m_doc.value(f->member()));
    m_workloads->setWorkloads(m_doc.value(QStringLiteral("workloads")).toArray());
    m_subscribers->setRows(m_doc.value(QStringLiteral("subscribers")).toArray());
    QJsonArray thresholds;
    const QJsonObject definitions = m_doc.value(QStringLiteral("thresholds")).toObject();
    for (auto it = definitions.begin(); it != definitions.end(); ++it)
        thresholds.append(QJsonObject{{QStringLiteral("metric"), it.key()}, {QStringLiteral("expressions"), it.value()}});
    m_thresholds->setRows(thresholds);
    m_faults->setRows(m_doc.value(QStringLiteral("faults")).toArray());
    m_filling = false;
    clearErrors();
}

void ScenarioForm::writeTables()
{
    if (m_filling)
        return;
    auto setOrRemove = [this](const QString &member, const QJsonValue &v, bool empty) {
        if (empty)
            m_doc.remove(member);
        else
            m_doc.insert(member, v);
    };
    const QJsonArray subscribers = m_subscribers->rows();
    setOrRemove(QStringLiteral("subscribers"), subscribers, subscribers.isEmpty());
    QJsonObject thresholds;
    for (const QJsonValue &v : m_thresholds->rows()) {
        const QJsonObject row = v.toObject();
        thresholds.insert(row.value(QStringLiteral("metric")).toString(), row.value(QStringLiteral("expressions")).toArray());
    }
    setOrRemove(QStringLiteral("thresholds"), thresholds, thresholds.isEmpty());
    const QJsonArray faults = m_faults->rows();
    setOrRemove(QStringLiteral("faults"), faults, faults.isEmpty());
    Q_EMIT changed();
}

void ScenarioForm::clearErrors()
{
    m_errors.clear();
    m_workloads->setErrors({});
    applyErrors();
    m_errorCount->hide();
}

QStringList ScenarioForm::showErrors(const QStringList &errors)
{
    m_errors.clear();
    QList<ScenarioWorkloadForm::Error> workloadErrors;
    QStringList unplaced;
    for (const QString &error : errors) {
        const qsizetype colon = error.indexOf(QStringLiteral(": "));
        const QString message = colon >= 0 ? error.mid(colon + 2) : error;
        const QStringList t = pointerTokens(colon >= 0 ? error.left(colon) : QString());
        const QString head = t.value(0);
        if (head == QLatin1String("workloads") && m_workloads->hasField(t.mid(1)))
            workloadErrors.append({t.mid(1), message});
        else if ((t.size() == 1 && topField(head)) || (t.size() >= 2 && (tableFor(head) || head == QLatin1String("thresholds"))))
            m_errors.append({t, message});
        else
            unplaced.append(error);
    }
    m_workloads->setErrors(workloadErrors);
    applyErrors();
    // Table errors whose row or member the table has no cell for go to the list after all.
    for (auto it = m_errors.begin(); it != m_errors.end();) {
        if (fieldError(QLatin1Char('/') + it->first.join(QLatin1Char('/'))).isEmpty()) {
            unplaced.append(QStringLiteral("/%1: %2").arg(it->first.join(QLatin1Char('/')), it->second));
            it = m_errors.erase(it);
        } else {
            ++it;
        }
    }
    m_errorCount->setText(tr("%n error(s) in this scenario", nullptr, int(errors.size()))
                          + (unplaced.isEmpty() ? QString() : tr("; %n listed under the JSON text", nullptr, int(unplaced.size()))));
    m_errorCount->setVisible(!errors.isEmpty());
    return unplaced;
}

void ScenarioForm::applyErrors()
{
    for (ScenarioField *f : std::as_const(m_top))
        f->setError({});
    for (JsonArrayTable *table : {m_subscribers, m_thresholds, m_faults})
        table->clearErrors();
    for (const auto &[t, message] : std::as_const(m_errors)) {
        const QString head = t.value(0);
        if (t.size() == 1) {
            topField(head)->addError(message);
        } else if (head == QLatin1String("thresholds")) {
            const QJsonArray rows = m_thresholds->rows();
            for (int r = 0; r < rows.size(); ++r) {
                if (rows.at(r).toObject().value(QStringLiteral("metric")).toString() == t.at(1))
                    m_thresholds->markError(r, QStringLiteral("expressions"), message);
            }
        } else if (JsonArrayTable *table = tableFor(head)) {
            bool ok = false;
            const int row = t.at(1).toInt(&ok);
            if (ok)
                table->markError(row, t.value(2), message);
        }
    }
}

QString ScenarioForm::fieldError(const QString &pointer) const
{
    const QStringList t = pointerTokens(pointer);
    const QString head = t.value(0);
    if (t.size() == 1) {
        const ScenarioField *f = topField(head);
        return f ? f->error() : QString();
    }
    if (head == QLatin1String("workloads"))
        return m_workloads->fieldError(t.mid(1));
    if (head == QLatin1String("thresholds") && t.size() >= 2) {
        const QJsonArray rows = m_thresholds->rows();
        for (int r = 0; r < rows.size(); ++r) {
            if (rows.at(r).toObject().value(QStringLiteral("metric")).toString() == t.at(1))
                return m_thresholds->errorAt(r, QStringLiteral("expressions"));
        }
        return {};
    }
    const JsonArrayTable *table = tableFor(head);
    return table && t.size() >= 2 ? table->errorAt(t.at(1).toInt(), t.value(2)) : QString();
}

} // namespace Gatehouse::Ui
