#include "scenarioworkloadform.h"

#include "jsonarraytable.h"
#include "scenariofield.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHash>
#include <QJsonObject>
#include <QPushButton>

namespace Gatehouse::Ui {

namespace {

using Kind = JsonArrayTable::Kind;

const QStringList kExecutors{QStringLiteral("constant-arrival-rate"), QStringLiteral("ramping-arrival-rate"),
                             QStringLiteral("constant-vus"), QStringLiteral("ramping-vus")};

// Which workload members each executor uses (the others are hidden unless the workload has them).
const QHash<QString, QStringList> kExecutorFields{
    {kExecutors.at(0), {QStringLiteral("rate"), QStringLiteral("time_unit"), QStringLiteral("pre_allocated_vus"), QStringLiteral("max_vus"), QStringLiteral("duration")}},
    {kExecutors.at(1), {QStringLiteral("start_rate"), QStringLiteral("time_unit"), QStringLiteral("stages"), QStringLiteral("pre_allocated_vus"), QStringLiteral("max_vus")}},
    {kExecutors.at(2), {QStringLiteral("vus"), QStringLiteral("duration")}},
    {kExecutors.at(3), {QStringLiteral("start_vus"), QStringLiteral("stages")}},
};

const QStringList kAlwaysShown{QStringLiteral("name"), QStringLiteral("start_time"), QStringLiteral("graceful_stop")};

} // namespace

ScenarioWorkloadForm::ScenarioWorkloadForm(QWidget *parent)
    : QWidget(parent)
{
    m_form = new QFormLayout(this);
    m_form->setContentsMargins(0, 0, 0, 0);
    m_picker = new QComboBox(this);
    m_picker->setObjectName(QStringLiteral("workloadPicker"));
    auto *add = new QPushButton(tr("Add workload"), this);
    add->setObjectName(QStringLiteral("workloadAdd"));
    auto *remove = new QPushButton(tr("Remove workload"), this);
    remove->setObjectName(QStringLiteral("workloadRemove"));
    auto *pick = new QHBoxLayout;
    pick->addWidget(m_picker, 1);
    pick->addWidget(add);
    pick->addWidget(remove);
    m_form->addRow(tr("Workload"), pick);
    m_executor = new QComboBox(this);
    m_executor->setObjectName(QStringLiteral("field_executor"));
    m_executor->addItems(kExecutors);
    const std::pair<const char *, const char *> members[] = {
        {"name", "Name"}, {"rate", "Rate"}, {"time_unit", "Time unit"}, {"start_rate", "Start rate"}, {"vus", "VUs"},
        {"start_vus", "Start VUs"}, {"pre_allocated_vus", "Pre-allocated VUs"}, {"max_vus", "Max VUs"},
        {"duration", "Duration"}, {"start_time", "Start time"}, {"graceful_stop", "Graceful stop"}};
    for (const auto &[member, label] : members) {
        const QString name = QString::fromLatin1(member);
        auto *field = new ScenarioField(name, name != QLatin1String("name") && name != QLatin1String("time_unit"), this);
        m_fields.append(field);
        m_form->addRow(tr(label), field);
        if (name == QLatin1String("name"))
            m_form->addRow(tr("Executor"), m_executor);
        connect(field, &ScenarioField::edited, this, [this, name](const QJsonValue &value) {
            write(name, value);
            if (name == QLatin1String("name"))
                m_picker->setItemText(m_current, value.toString());
        });
    }
    m_stages = new JsonArrayTable({{QStringLiteral("target"), tr("Target"), Kind::Number},
                                   {QStringLiteral("duration"), tr("Duration"), Kind::Number}}, this);
    m_stages->setObjectName(QStringLiteral("stagesTable"));
    m_stagesRow = JsonArrayTable::withButtons(m_stages, {{QStringLiteral("target"), 10}, {QStringLiteral("duration"), QStringLiteral("10s")}});
    m_form->addRow(tr("Stages"), m_stagesRow);
    m_operations = new JsonArrayTable({{QStringLiteral("op"), tr("Op")}, {QStringLiteral("collection"), tr("Collection")},
                                       {QStringLiteral("weight"), tr("Weight"), Kind::Number}, {QStringLiteral("name"), tr("Name")},
                                       {{}, tr("More (JSON)"), Kind::Rest}}, this);
    m_operations->setObjectName(QStringLiteral("operationsTable"));
    m_form->addRow(tr("Operations"), JsonArrayTable::withButtons(m_operations, {{QStringLiteral("op"), QStringLiteral("get")}, {QStringLiteral("collection"), QStringLiteral("products")}}));

    connect(m_picker, &QComboBox::currentIndexChanged, this, [this](int index) {
        if (!m_filling)
            show(index);
    });
    connect(m_executor, &QComboBox::currentTextChanged, this, [this](const QString &text) {
        if (m_filling)
            return;
        write(QStringLiteral("executor"), text);
        updateRows();
    });
    connect(add, &QPushButton::clicked, this, [this] {
        m_workloads.append(QJsonObject{{QStringLiteral("name"), QStringLiteral("workload%1").arg(m_workloads.size() + 1)},
                                       {QStringLiteral("executor"), kExecutors.at(0)}, {QStringLiteral("rate"), 10},
                                       {QStringLiteral("time_unit"), QStringLiteral("1s")},
                                       {QStringLiteral("operations"), QJsonArray{QJsonObject{{QStringLiteral("op"), QStringLiteral("get")}, {QStringLiteral("collection"), QStringLiteral("products")}}}}});
        m_current = int(m_workloads.size()) - 1;
        setWorkloads(m_workloads);
        Q_EMIT changed();
    });
    connect(remove, &QPushButton::clicked, this, [this] {
        if (m_current < 0 || m_current >= m_workloads.size())
            return;
        m_workloads.removeAt(m_current);
        setWorkloads(m_workloads);
        Q_EMIT changed();
    });
    for (JsonArrayTable *table : {m_stages, m_operations})
        connect(table, &JsonArrayTable::edited, this, &ScenarioWorkloadForm::writeTables);
}

ScenarioWorkloadForm::~ScenarioWorkloadForm() = default;

ScenarioField *ScenarioWorkloadForm::field(const QString &member) const
{
    for (ScenarioField *f : m_fields) {
        if (f->member() == member)
            return f;
    }
    return nullptr;
}

void ScenarioWorkloadForm::setWorkloads(const QJsonArray &workloads)
{
    m_workloads = workloads;
    m_errors.clear();
    m_filling = true;
    m_picker->clear();
    for (qsizetype i = 0; i < workloads.size(); ++i) {
        const QString name = workloads.at(i).toObject().value(QStringLiteral("name")).toString();
        m_picker->addItem(name.isEmpty() ? tr("workload %1").arg(i + 1) : name);
    }
    const int index = m_current >= 0 && m_current < workloads.size() ? m_current : (workloads.isEmpty() ? -1 : 0);
    m_picker->setCurrentIndex(index);
    m_filling = false;
    show(index);
}

void ScenarioWorkloadForm::show(int index)
{
    m_current = index >= 0 && index < m_workloads.size() ? index : -1;
    const QJsonObject w = m_current >= 0 ? m_workloads.at(m_current).toObject() : QJsonObject{};
    m_filling = true;
    for (ScenarioField *f : std::as_const(m_fields)) {
        f->setValue(w.value(f->member()));
        f->setEnabled(m_current >= 0);
    }
    const QString executor = w.value(QStringLiteral("executor")).toString();
    if (!executor.isEmpty() && m_executor->findText(executor) < 0)
        m_executor->addItem(executor);   // shown as written; the engine says what is wrong with it
    m_executor->setCurrentText(executor.isEmpty() ? kExecutors.at(0) : executor);
    m_executor->setEnabled(m_current >= 0);
    m_stages->setRows(w.value(QStringLiteral("stages")).toArray());
    m_operations->setRows(w.value(QStringLiteral("operations")).toArray());
    m_filling = false;
    updateRows();
    applyErrors();
}

void ScenarioWorkloadForm::updateRows()
{
    const QJsonObject w = m_workloads.at(m_current).toObject();
    const QStringList used = kExecutorFields.value(m_executor->currentText());
    auto wanted = [&](const QString &member) { return used.contains(member) || w.contains(member); };
    for (ScenarioField *f : std::as_const(m_fields))
        m_form->setRowVisible(f, kAlwaysShown.contains(f->member()) || wanted(f->member()));
    m_form->setRowVisible(m_stagesRow, wanted(QStringLiteral("stages")));
}

void ScenarioWorkloadForm::write(const QString &member, const QJsonValue &value)
{
    if (m_current < 0 || m_current >= m_workloads.size())
        return;
    QJsonObject w = m_workloads.at(m_current).toObject();
    if (value.isUndefined())
        w.remove(member);
    else
        w.insert(member, value);
    m_workloads.replace(m_current, w);
    Q_EMIT changed();
}

void ScenarioWorkloadForm::writeTables()
{
    if (m_filling || m_current < 0 || m_current >= m_workloads.size())
        return;
    QJsonObject w = m_workloads.at(m_current).toObject();
    const QJsonArray stages = m_stages->rows();
    if (stages.isEmpty() && !w.contains(QStringLiteral("stages")))
        w.remove(QStringLiteral("stages"));
    else
        w.insert(QStringLiteral("stages"), stages);
    w.insert(QStringLiteral("operations"), m_operations->rows());
    m_workloads.replace(m_current, w);
    Q_EMIT changed();
}

bool ScenarioWorkloadForm::hasField(const QStringList &t) const
{
    bool ok = false;
    const int index = t.value(0).toInt(&ok);
    if (!ok || index < 0 || index >= m_workloads.size() || t.size() < 2)
        return false;
    const QString member = t.at(1);
    if (member == QLatin1String("operations") || member == QLatin1String("stages"))
        return t.size() >= 3;
    return member == QLatin1String("executor") || field(member);
}

void ScenarioWorkloadForm::setErrors(const QList<Error> &errors)
{
    m_errors = errors;
    if (!errors.isEmpty()) {
        const int first = errors.constFirst().first.value(0).toInt();
        if (first != m_current) {
            m_picker->setCurrentIndex(first);   // shows it, and its errors
            return;
        }
    }
    applyErrors();
}

void ScenarioWorkloadForm::applyErrors()
{
    for (ScenarioField *f : std::as_const(m_fields))
        f->setError({});
    m_executor->setStyleSheet({});
    m_executor->setToolTip({});
    m_stages->clearErrors();
    m_operations->clearErrors();
    for (const auto &[t, message] : std::as_const(m_errors)) {
        if (t.value(0).toInt() != m_current || t.size() < 2)
            continue;
        const QString member = t.at(1);
        if (member == QLatin1String("executor")) {
            m_executor->setStyleSheet(QStringLiteral("border: 1px solid #b71c1c;"));
            m_executor->setToolTip(message);
        } else if (member == QLatin1String("operations")) {
            m_operations->markError(t.value(2).toInt(), t.value(3), message);
        } else if (member == QLatin1String("stages")) {
            m_stages->markError(t.value(2).toInt(), t.value(3), message);
        } else if (ScenarioField *f = field(member)) {
            f->addError(message);
        }
    }
}

QString ScenarioWorkloadForm::fieldError(const QStringList &t) const
{
    if (t.size() < 2 || t.at(0).toInt() != m_current)
        return {};
    const QString member = t.at(1);
    if (member == QLatin1String("executor"))
        return m_executor->toolTip();
    if (member == QLatin1String("operations"))
        return m_operations->errorAt(t.value(2).toInt(), t.value(3));
    if (member == QLatin1String("stages"))
        return m_stages->errorAt(t.value(2).toInt(), t.value(3));
    const ScenarioField *f = field(member);
    return f ? f->error() : QString();
}

} // namespace Gatehouse::Ui
