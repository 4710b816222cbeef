#include "scenarioform.h"

#include "jsonarraytable.h"

#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace Gatehouse::Ui {

namespace {

using Column = JsonArrayTable::Column;
using Kind = JsonArrayTable::Kind;

const QStringList kExecutors{QStringLiteral("constant-arrival-rate"), QStringLiteral("ramping-arrival-rate"),
                             QStringLiteral("constant-vus"), QStringLiteral("ramping-vus")};

// Which workload members each executor uses (the others are hidden unless the document has them).
const QHash<QString, QStringList> kExecutorFields{
    {kExecutors.at(0), {QStringLiteral("rate"), QStringLiteral("time_unit"), QStringLiteral("pre_allocated_vus"), QStringLiteral("max_vus"), QStringLiteral("duration")}},
    {kExecutors.at(1), {QStringLiteral("start_rate"), QStringLiteral("time_unit"), QStringLiteral("stages"), QStringLiteral("pre_allocated_vus"), QStringLiteral("max_vus")}},
    {kExecutors.at(2), {QStringLiteral("vus"), QStringLiteral("duration")}},
    {kExecutors.at(3), {QStringLiteral("start_vus"), QStringLiteral("stages")}},
};

QJsonValue valueOf(const QString &text, bool number)
{
    const QString t = text.trimmed();
    bool ok = false;
    const double n = t.toDouble(&ok);
    return number && ok ? QJsonValue(n) : QJsonValue(t);
}

QString textOf(const QJsonValue &v)
{
    if (v.isDouble())
        return QString::number(v.toDouble(), 'g', 16);
    return v.isString() ? v.toString() : QString();
}

QWidget *withButtons(JsonArrayTable *table, const QJsonObject &newRow, QWidget *parent)
{
    auto *box = new QWidget(parent);
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(table);
    auto *buttons = new QHBoxLayout;
    auto *add = new QPushButton(ScenarioForm::tr("Add"), box);
    add->setObjectName(table->objectName() + QStringLiteral("Add"));
    auto *remove = new QPushButton(ScenarioForm::tr("Remove"), box);
    remove->setObjectName(table->objectName() + QStringLiteral("Remove"));
    buttons->addWidget(add);
    buttons->addWidget(remove);
    buttons->addStretch(1);
    layout->addLayout(buttons);
    QObject::connect(add, &QPushButton::clicked, table, [table, newRow] { table->appendRow(newRow); });
    QObject::connect(remove, &QPushButton::clicked, table, &JsonArrayTable::removeCurrentRow);
    table->setMinimumHeight(110);
    return box;
}

} // namespace

QStringList ScenarioForm::pointerTokens(const QString &pointer)
{
    QStringList tokens = pointer.split(QLatin1Char('/'));
    if (!tokens.isEmpty() && tokens.constFirst().isEmpty())
        tokens.removeFirst();
    for (QString &t : tokens)
        t.replace(QStringLiteral("~1"), QStringLiteral("/")).replace(QStringLiteral("~0"), QStringLiteral("~"));
    return tokens;
}

ScenarioForm::Field ScenarioForm::makeField(QFormLayout *form, const QString &member, const QString &label, bool number)
{
    Field f;
    f.member = member;
    f.row = new QWidget(this);
    auto *layout = new QHBoxLayout(f.row);
    layout->setContentsMargins(0, 0, 0, 0);
    f.edit = new QLineEdit(f.row);
    f.edit->setObjectName(QStringLiteral("field_") + member);
    f.error = new QLabel(f.row);
    f.error->setObjectName(QStringLiteral("fieldError_") + member);
    f.error->setStyleSheet(QStringLiteral("color: #b71c1c;"));
    f.error->setWordWrap(true);
    f.error->hide();
    layout->addWidget(f.edit, 1);
    layout->addWidget(f.error, 1);
    form->addRow(label, f.row);
    const bool workload = form == m_workloadForm;
    connect(f.edit, &QLineEdit::textEdited, this, [this, member, number, workload, f](const QString &text) {
        setFieldError(f, {});
        const QJsonValue value = text.trimmed().isEmpty() ? QJsonValue(QJsonValue::Undefined) : valueOf(text, number);
        if (workload) {
            writeWorkload(member, value);
            if (member == QLatin1String("name"))
                m_workloads->setItemText(m_current, text);
            return;
        }
        if (value.isUndefined())
            m_doc.remove(member);
        else
            m_doc.insert(member, value);
        Q_EMIT changed();
    });
    return f;
}

ScenarioForm::ScenarioForm(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("scenarioForm"));
    auto *general = new QGroupBox(tr("Scenario"), this);
    auto *top = new QFormLayout(general);
    m_top = {makeField(top, QStringLiteral("name"), tr("Name"), false),
             makeField(top, QStringLiteral("description"), tr("Description"), false),
             makeField(top, QStringLiteral("seed"), tr("Seed"), true),
             makeField(top, QStringLiteral("duration"), tr("Duration"), true),
             makeField(top, QStringLiteral("target"), tr("Target"), false)};
    m_top[0].edit->setToolTip(tr("The stored scenario's name: a new name saves a copy"));
    m_top[4].edit->setPlaceholderText(tr("this engine"));

    auto *workloads = new QGroupBox(tr("Workload"), this);
    m_workloadForm = new QFormLayout(workloads);
    m_workloads = new QComboBox(workloads);
    m_workloads->setObjectName(QStringLiteral("workloadPicker"));
    auto *addWorkload = new QPushButton(tr("Add workload"), workloads);
    auto *removeWorkload = new QPushButton(tr("Remove workload"), workloads);
    auto *pick = new QHBoxLayout;
    pick->addWidget(m_workloads, 1);
    pick->addWidget(addWorkload);
    pick->addWidget(removeWorkload);
    m_workloadForm->addRow(tr("Workload"), pick);
    m_executor = new QComboBox(workloads);
    m_executor->setObjectName(QStringLiteral("field_executor"));
    m_executor->addItems(kExecutors);
    m_workloadFields.append(makeField(m_workloadForm, QStringLiteral("name"), tr("Name"), false));
    m_workloadForm->addRow(tr("Executor"), m_executor);
    const std::pair<const char *, const char *> members[] = {
        {"rate", "Rate"}, {"time_unit", "Time unit"}, {"start_rate", "Start rate"}, {"vus", "VUs"},
        {"start_vus", "Start VUs"}, {"pre_allocated_vus", "Pre-allocated VUs"}, {"max_vus", "Max VUs"},
        {"duration", "Duration"}, {"start_time", "Start time"}, {"graceful_stop", "Graceful stop"}};
    for (const auto &[member, label] : members)
        m_workloadFields.append(makeField(m_workloadForm, QString::fromLatin1(member), tr(label), true));
    m_stages = new JsonArrayTable({{QStringLiteral("target"), tr("Target"), Kind::Number},
                                   {QStringLiteral("duration"), tr("Duration"), Kind::Number}}, workloads);
    m_stages->setObjectName(QStringLiteral("stagesTable"));
    m_stagesRow = withButtons(m_stages, {{QStringLiteral("target"), 10}, {QStringLiteral("duration"), QStringLiteral("10s")}}, workloads);
    m_workloadForm->addRow(tr("Stages"), m_stagesRow);
    m_operations = new JsonArrayTable({{QStringLiteral("op"), tr("Op")}, {QStringLiteral("collection"), tr("Collection")},
                                       {QStringLiteral("weight"), tr("Weight"), Kind::Number}, {QStringLiteral("name"), tr("Name")},
                                       {{}, tr("More (JSON)"), Kind::Rest}}, workloads);
    m_operations->setObjectName(QStringLiteral("operationsTable"));
    m_workloadForm->addRow(tr("Operations"), withButtons(m_operations, {{QStringLiteral("op"), QStringLiteral("get")}, {QStringLiteral("collection"), QStringLiteral("products")}}, workloads));

    auto *others = new QGroupBox(tr("Subscribers, thresholds and faults"), this);
    auto *otherForm = new QFormLayout(others);
    m_subscribers = new JsonArrayTable({{QStringLiteral("protocol"), tr("Protocol")}, {QStringLiteral("connections"), tr("Connections"), Kind::Number},
                                        {QStringLiteral("collections"), tr("Collections"), Kind::List}, {QStringLiteral("topic"), tr("Topic")}}, others);
    m_subscribers->setObjectName(QStringLiteral("subscribersTable"));
    otherForm->addRow(tr("Subscribers"), withButtons(m_subscribers, {{QStringLiteral("protocol"), QStringLiteral("websocket")}, {QStringLiteral("connections"), 1}}, others));
    m_thresholds = new JsonArrayTable({{QStringLiteral("metric"), tr("Metric")}, {QStringLiteral("expressions"), tr("Expressions"), Kind::List}}, others);
    m_thresholds->setObjectName(QStringLiteral("thresholdsTable"));
    otherForm->addRow(tr("Thresholds"), withButtons(m_thresholds, {{QStringLiteral("metric"), QStringLiteral("errors")}, {QStringLiteral("expressions"), QJsonArray{QStringLiteral("rate<0.01")}}}, others));
    m_faults = new JsonArrayTable({{QStringLiteral("kind"), tr("Kind")}, {QStringLiteral("at"), tr("At"), Kind::Number},
                                   {QStringLiteral("for"), tr("For"), Kind::Number}, {{}, tr("More (JSON)"), Kind::Rest}}, others);
    m_faults->setObjectName(QStringLiteral("faultsTable"));
    otherForm->addRow(tr("Faults"), withButtons(m_faults, {{QStringLiteral("kind"), QStringLiteral("commit_delay")}, {QStringLiteral("delay"), QStringLiteral("5ms")}, {QStringLiteral("at"), QStringLiteral("1s")}, {QStringLiteral("for"), QStringLiteral("5s")}}, others));

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

    connect(m_workloads, &QComboBox::currentIndexChanged, this, [this](int index) {
        if (!m_filling)
            showWorkload(index);
    });
    connect(m_executor, &QComboBox::currentTextChanged, this, [this](const QString &text) {
        if (m_filling)
            return;
        writeWorkload(QStringLiteral("executor"), text);
        updateExecutorRows();
    });
    connect(addWorkload, &QPushButton::clicked, this, [this] {
        QJsonArray list = m_doc.value(QStringLiteral("workloads")).toArray();
        list.append(QJsonObject{{QStringLiteral("name"), QStringLiteral("workload%1").arg(list.size() + 1)},
                                {QStringLiteral("executor"), kExecutors.at(0)}, {QStringLiteral("rate"), 10},
                                {QStringLiteral("time_unit"), QStringLiteral("1s")},
                                {QStringLiteral("operations"), QJsonArray{QJsonObject{{QStringLiteral("op"), QStringLiteral("get")}, {QStringLiteral("collection"), QStringLiteral("products")}}}}});
        m_doc.insert(QStringLiteral("workloads"), list);
        m_current = int(list.size()) - 1;
        setDocument(m_doc);
        Q_EMIT changed();
    });
    connect(removeWorkload, &QPushButton::clicked, this, [this] {
        QJsonArray list = m_doc.value(QStringLiteral("workloads")).toArray();
        if (m_current < 0 || m_current >= list.size())
            return;
        list.removeAt(m_current);
        m_doc.insert(QStringLiteral("workloads"), list);
        setDocument(m_doc);
        Q_EMIT changed();
    });
    for (JsonArrayTable *table : {m_stages, m_operations, m_subscribers, m_thresholds, m_faults})
        connect(table, &JsonArrayTable::edited, this, &ScenarioForm::writeTables);
    setDocument({});
}

ScenarioForm::~ScenarioForm() = default;

QLineEdit *ScenarioForm::field(const QString &member) const
{
    for (const Field &f : m_top) {
        if (f.member == member)
            return f.edit;
    }
    return nullptr;
}

QLineEdit *ScenarioForm::workloadField(const QString &member) const
{
    for (const Field &f : m_workloadFields) {
        if (f.member == member)
            return f.edit;
    }
    return nullptr;
}

void ScenarioForm::setDocument(const QJsonObject &document)
{
    m_doc = document;
    m_filling = true;
    for (const Field &f : std::as_const(m_top))
        f.edit->setText(textOf(m_doc.value(f.member)));
    const QJsonArray workloads = m_doc.value(QStringLiteral("workloads")).toArray();
    m_workloads->clear();
    for (qsizetype i = 0; i < workloads.size(); ++i) {
        const QString name = workloads.at(i).toObject().value(QStringLiteral("name")).toString();
        m_workloads->addItem(name.isEmpty() ? tr("workload %1").arg(i + 1) : name);
    }
    m_subscribers->setRows(m_doc.value(QStringLiteral("subscribers")).toArray());
    QJsonArray thresholds;
    const QJsonObject definitions = m_doc.value(QStringLiteral("thresholds")).toObject();
    for (auto it = definitions.begin(); it != definitions.end(); ++it)
        thresholds.append(QJsonObject{{QStringLiteral("metric"), it.key()}, {QStringLiteral("expressions"), it.value()}});
    m_thresholds->setRows(thresholds);
    m_faults->setRows(m_doc.value(QStringLiteral("faults")).toArray());
    m_filling = false;
    const int current = m_current >= 0 && m_current < workloads.size() ? m_current : (workloads.isEmpty() ? -1 : 0);
    m_workloads->setCurrentIndex(current);
    showWorkload(current);
    clearErrors();
}

void ScenarioForm::showWorkload(int index)
{
    const QJsonArray workloads = m_doc.value(QStringLiteral("workloads")).toArray();
    m_current = index >= 0 && index < workloads.size() ? index : -1;
    const QJsonObject w = m_current >= 0 ? workloads.at(m_current).toObject() : QJsonObject{};
    m_filling = true;
    for (const Field &f : std::as_const(m_workloadFields)) {
        f.edit->setText(textOf(w.value(f.member)));
        f.edit->setEnabled(m_current >= 0);
        setFieldError(f, {});
    }
    const QString executor = w.value(QStringLiteral("executor")).toString();
    if (!executor.isEmpty() && m_executor->findText(executor) < 0)
        m_executor->addItem(executor);   // shown as written; the engine says what is wrong with it
    m_executor->setCurrentText(executor.isEmpty() ? kExecutors.at(0) : executor);
    m_executor->setEnabled(m_current >= 0);
    m_stages->setRows(w.value(QStringLiteral("stages")).toArray());
    m_operations->setRows(w.value(QStringLiteral("operations")).toArray());
    m_filling = false;
    updateExecutorRows();
    applyErrors();
}

void ScenarioForm::updateExecutorRows()
{
    const QJsonObject w = m_doc.value(QStringLiteral("workloads")).toArray().at(m_current).toObject();
    const QStringList used = kExecutorFields.value(m_executor->currentText());
    auto wanted = [&](const QString &member) { return used.contains(member) || w.contains(member); };
    static const QStringList common{QStringLiteral("name"), QStringLiteral("start_time"), QStringLiteral("graceful_stop")};
    for (const Field &f : std::as_const(m_workloadFields))
        m_workloadForm->setRowVisible(f.row, common.contains(f.member) || wanted(f.member));
    m_workloadForm->setRowVisible(m_stagesRow, wanted(QStringLiteral("stages")));
}

void ScenarioForm::writeWorkload(const QString &member, const QJsonValue &value)
{
    QJsonArray workloads = m_doc.value(QStringLiteral("workloads")).toArray();
    if (m_current < 0 || m_current >= workloads.size())
        return;
    QJsonObject w = workloads.at(m_current).toObject();
    if (value.isUndefined())
        w.remove(member);
    else
        w.insert(member, value);
    workloads.replace(m_current, w);
    m_doc.insert(QStringLiteral("workloads"), workloads);
    Q_EMIT changed();
}

void ScenarioForm::writeTables()
{
    if (m_filling)
        return;
    auto setOrRemove = [](QJsonObject &o, const QString &member, const QJsonValue &v, bool empty) {
        if (empty)
            o.remove(member);
        else
            o.insert(member, v);
    };
    QJsonArray workloads = m_doc.value(QStringLiteral("workloads")).toArray();
    if (m_current >= 0 && m_current < workloads.size()) {
        QJsonObject w = workloads.at(m_current).toObject();
        const QJsonArray stages = m_stages->rows();
        setOrRemove(w, QStringLiteral("stages"), stages, stages.isEmpty() && !w.contains(QStringLiteral("stages")));
        w.insert(QStringLiteral("operations"), m_operations->rows());
        workloads.replace(m_current, w);
        m_doc.insert(QStringLiteral("workloads"), workloads);
    }
    const QJsonArray subscribers = m_subscribers->rows();
    setOrRemove(m_doc, QStringLiteral("subscribers"), subscribers, subscribers.isEmpty());
    QJsonObject thresholds;
    for (const QJsonValue &v : m_thresholds->rows()) {
        const QJsonObject row = v.toObject();
        thresholds.insert(row.value(QStringLiteral("metric")).toString(), row.value(QStringLiteral("expressions")).toArray());
    }
    setOrRemove(m_doc, QStringLiteral("thresholds"), thresholds, thresholds.isEmpty());
    const QJsonArray faults = m_faults->rows();
    setOrRemove(m_doc, QStringLiteral("faults"), faults, faults.isEmpty());
    Q_EMIT changed();
}

void ScenarioForm::setFieldError(const Field &f, const QString &message)
{
    f.error->setText(message);
    f.error->setVisible(!message.isEmpty());
    f.edit->setStyleSheet(message.isEmpty() ? QString() : QStringLiteral("border: 1px solid #b71c1c;"));
    f.edit->setToolTip(message);
}

void ScenarioForm::clearErrors()
{
    m_errors.clear();
    applyErrors();
}

QStringList ScenarioForm::showErrors(const QStringList &errors)
{
    m_errors.clear();
    QStringList unplaced;
    int firstWorkload = -1;
    const QJsonArray workloads = m_doc.value(QStringLiteral("workloads")).toArray();
    for (const QString &error : errors) {
        const qsizetype colon = error.indexOf(QStringLiteral(": "));
        const QString message = colon >= 0 ? error.mid(colon + 2) : error;
        const QStringList t = pointerTokens(colon >= 0 ? error.left(colon) : QString());
        bool placed = false;
        const QString head = t.value(0);
        if (t.size() == 1) {
            placed = field(head) != nullptr;
        } else if (head == QLatin1String("workloads") && t.size() >= 3) {
            bool ok = false;
            const int w = t.at(1).toInt(&ok);
            const QString member = t.at(2);
            placed = ok && w >= 0 && w < workloads.size()
                && (workloadField(member) || member == QLatin1String("executor")
                    || ((member == QLatin1String("operations") || member == QLatin1String("stages")) && t.size() >= 4));
            if (placed && firstWorkload < 0)
                firstWorkload = w;
        } else if (head == QLatin1String("subscribers") || head == QLatin1String("faults") || head == QLatin1String("thresholds")) {
            placed = t.size() >= 2;
        }
        if (placed)
            m_errors.append({t, message});
        else
            unplaced.append(error);
    }
    if (firstWorkload >= 0 && firstWorkload != m_current) {
        m_workloads->setCurrentIndex(firstWorkload);   // shows it, and its errors
    }
    applyErrors();
    // Table errors whose row or member the table has no cell for go to the list after all.
    for (auto it = m_errors.begin(); it != m_errors.end();) {
        if (fieldError(QLatin1Char('/') + it->first.join(QLatin1Char('/'))).isEmpty() && it->first.value(0) != QLatin1String("workloads")) {
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
    for (const Field &f : std::as_const(m_top))
        setFieldError(f, {});
    for (const Field &f : std::as_const(m_workloadFields))
        setFieldError(f, {});
    m_executor->setStyleSheet({});
    m_executor->setToolTip({});
    for (JsonArrayTable *table : {m_stages, m_operations, m_subscribers, m_thresholds, m_faults})
        table->clearErrors();
    if (m_errors.isEmpty())
        m_errorCount->hide();
    auto place = [](const QList<Field> &fields, const QString &member, const QString &message) {
        for (const Field &f : fields) {
            if (f.member == member)
                setFieldError(f, f.error->text().isEmpty() ? message : f.error->text() + QLatin1Char('\n') + message);
        }
    };
    for (const auto &[t, message] : std::as_const(m_errors)) {
        const QString head = t.value(0);
        if (t.size() == 1) {
            place(m_top, head, message);
        } else if (head == QLatin1String("workloads")) {
            if (t.at(1).toInt() != m_current)
                continue;
            const QString member = t.at(2);
            if (member == QLatin1String("executor")) {
                m_executor->setStyleSheet(QStringLiteral("border: 1px solid #b71c1c;"));
                m_executor->setToolTip(message);
            } else if (member == QLatin1String("operations")) {
                m_operations->markError(t.value(3).toInt(), t.value(4), message);
            } else if (member == QLatin1String("stages")) {
                m_stages->markError(t.value(3).toInt(), t.value(4), message);
            } else {
                place(m_workloadFields, member, message);
            }
        } else if (head == QLatin1String("thresholds")) {
            const QJsonArray rows = m_thresholds->rows();
            for (int r = 0; r < rows.size(); ++r) {
                if (rows.at(r).toObject().value(QStringLiteral("metric")).toString() == t.at(1))
                    m_thresholds->markError(r, QStringLiteral("expressions"), message);
            }
        } else {
            JsonArrayTable *table = head == QLatin1String("faults") ? m_faults : m_subscribers;
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
    auto find = [](const QList<Field> &fields, const QString &member) {
        for (const Field &f : fields) {
            if (f.member == member)
                return f.error->text();
        }
        return QString();
    };
    if (t.size() == 1)
        return find(m_top, head);
    if (head == QLatin1String("workloads") && t.size() >= 3) {
        if (t.at(1).toInt() != m_current)
            return {};
        if (t.at(2) == QLatin1String("executor"))
            return m_executor->toolTip();
        if (t.at(2) == QLatin1String("operations"))
            return m_operations->errorAt(t.value(3).toInt(), t.value(4));
        if (t.at(2) == QLatin1String("stages"))
            return m_stages->errorAt(t.value(3).toInt(), t.value(4));
        return find(m_workloadFields, t.at(2));
    }
    if (head == QLatin1String("thresholds") && t.size() >= 2) {
        const QJsonArray rows = m_thresholds->rows();
        for (int r = 0; r < rows.size(); ++r) {
            if (rows.at(r).toObject().value(QStringLiteral("metric")).toString() == t.at(1))
                return m_thresholds->errorAt(r, QStringLiteral("expressions"));
        }
        return {};
    }
    if ((head == QLatin1String("faults") || head == QLatin1String("subscribers")) && t.size() >= 2)
        return (head == QLatin1String("faults") ? m_faults : m_subscribers)->errorAt(t.at(1).toInt(), t.value(2));
    return {};
}

} // namespace Gatehouse::Ui
