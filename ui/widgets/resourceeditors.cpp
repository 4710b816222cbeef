#include "resourceeditors.h"

#include "engineclient.h"
#include "models/jsonrowsmodel.h"
#include "routepluginsedit.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QTableView>
#include <QTableWidget>
#include <QVBoxLayout>

namespace Gatehouse::Ui {

namespace {
const QRegularExpression &idPattern()
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9._-]{1,64}$"));
    return re;
}

QDoubleSpinBox *seconds(QWidget *parent, const char *name, const QString &unset)
{
    auto *box = new QDoubleSpinBox(parent);
    box->setObjectName(QLatin1String(name));
    box->setRange(0, 86400);
    box->setDecimals(3);
    box->setSuffix(QStringLiteral(" s"));
    box->setSpecialValueText(unset);   // 0: not set
    return box;
}

QSpinBox *counter(QWidget *parent, const char *name, int max, const QString &unset)
{
    auto *box = new QSpinBox(parent);
    box->setObjectName(QLatin1String(name));
    box->setRange(-1, max);
    box->setSpecialValueText(unset);   // -1: not set
    box->setValue(-1);
    return box;
}

void setOrRemove(QJsonObject &o, const QString &key, const QJsonValue &value, bool set)
{
    if (set)
        o.insert(key, value);
    else
        o.remove(key);
}
} // namespace

// --- ResourceEditorDialog ---------------------------------------------------------------

ResourceEditorDialog::ResourceEditorDialog(EngineClient *client, const QString &kind, bool create, const QJsonObject &original,
                                           const QStringList &existingIds, QWidget *parent)
    : QDialog(parent)
    , m_client(client)
    , m_kind(kind)
    , m_create(create)
    , m_original(original)
    , m_existingIds(existingIds)
{
    m_original.remove(QStringLiteral("create_time"));
    m_original.remove(QStringLiteral("update_time"));
    m_original.remove(QStringLiteral("problems"));
    m_form = new QFormLayout;
    m_id = new QLineEdit(m_original.value(QLatin1String("id")).toString(), this);
    m_id->setObjectName(QStringLiteral("resourceEditorId"));
    m_id->setReadOnly(!create);
    m_id->setPlaceholderText(tr("letters, digits, . _ -"));
    m_form->addRow(tr("Id"), m_id);
    m_error = new QLabel(this);
    m_error->setObjectName(QStringLiteral("resourceEditorError"));
    m_error->setStyleSheet(QStringLiteral("color: #a00000"));
    m_error->setWordWrap(true);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->hide();
}

ResourceEditorDialog::~ResourceEditorDialog() = default;

void ResourceEditorDialog::finishLayout()
{
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    m_save = buttons->button(QDialogButtonBox::Save);
    m_save->setObjectName(QStringLiteral("resourceEditorSave"));
    connect(buttons, &QDialogButtonBox::accepted, this, &ResourceEditorDialog::save);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(m_form, 1);
    layout->addWidget(m_error);
    layout->addWidget(buttons);
}

QString ResourceEditorDialog::serverError() const
{
    return m_error->isVisible() ? m_error->text() : QString();
}

void ResourceEditorDialog::save()
{
    const QString id = m_id->text().trimmed();
    QString error;
    if (!idPattern().match(id).hasMatch())
        error = tr("The id must be 1 to 64 letters, digits, '.', '_' or '-'.");
    else if (m_create && m_existingIds.contains(id))
        error = tr("There is a %1 '%2' already.").arg(m_kind.chopped(1).replace(u'_', u' '), id);
    QJsonObject out = m_original;
    if (error.isEmpty() && !body(&out, &error))
        out = {};
    if (!error.isEmpty()) {
        m_error->setText(error);
        m_error->show();
        return;
    }
    out.insert(QStringLiteral("id"), id);
    m_save->setEnabled(false);
    m_client->admin("PUT", "/admin/" + m_kind.toUtf8() + '/' + EngineClient::encode(id), QJsonDocument(out).toJson(QJsonDocument::Compact), this,
                    [this, id](const ClientReply &reply) {
        m_save->setEnabled(true);
        if (!reply.isSuccess()) {
            // The engine's refusal: its detail and each error it lists.
            QStringList lines{reply.errorText()};
            for (const QJsonValue &e : reply.object().value(QLatin1String("errors")).toArray())
                lines.append(e.isString() ? e.toString() : QString::fromUtf8(QJsonDocument(e.toObject()).toJson(QJsonDocument::Compact)));
            lines.removeDuplicates();
            m_error->setText(lines.join(u'\n'));
            m_error->show();
            return;
        }
        Q_EMIT saved(id);
        accept();
    });
}

// --- UpstreamEditorDialog ---------------------------------------------------------------

UpstreamEditorDialog::UpstreamEditorDialog(EngineClient *client, bool create, const QJsonObject &upstream, const QStringList &existingIds,
                                           QWidget *parent)
    : ResourceEditorDialog(client, QStringLiteral("upstreams"), create, upstream, existingIds, parent)
{
    setObjectName(QStringLiteral("upstreamEditor"));
    setWindowTitle(create ? tr("New upstream") : tr("Edit upstream %1").arg(upstream.value(QLatin1String("id")).toString()));
    const QJsonObject &u = original();
    m_name = new QLineEdit(u.value(QLatin1String("name")).toString(), this);
    m_name->setObjectName(QStringLiteral("upstreamEditorName"));
    m_type = new QComboBox(this);
    m_type->setObjectName(QStringLiteral("upstreamEditorType"));
    m_type->addItems({QStringLiteral("http"), QStringLiteral("websocket"), QStringLiteral("sse"), QStringLiteral("command"),
                      QStringLiteral("query"), QStringLiteral("events"), QStringLiteral("function")});
    m_type->setCurrentText(u.value(QLatin1String("type")).toString(QStringLiteral("http")));
    m_scheme = new QComboBox(this);
    m_scheme->setObjectName(QStringLiteral("upstreamEditorScheme"));
    m_scheme->addItems({QStringLiteral("http"), QStringLiteral("https")});
    m_scheme->setCurrentText(u.value(QLatin1String("scheme")).toString(QStringLiteral("http")));

    // Nodes: host:port and weight, one a row.
    m_nodes = new QTableWidget(0, 2, this);
    m_nodes->setObjectName(QStringLiteral("upstreamEditorNodes"));
    m_nodes->setHorizontalHeaderLabels({tr("host:port"), tr("weight")});
    m_nodes->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_nodes->verticalHeader()->hide();
    m_nodes->setMinimumHeight(110);
    const QJsonValue nodes = u.value(QLatin1String("nodes"));
    if (nodes.isObject()) {
        const QJsonObject map = nodes.toObject();
        for (auto it = map.begin(); it != map.end(); ++it)
            addNode(it.key(), it.value().toInt(1));
    } else {
        for (const QJsonValue &n : nodes.toArray()) {
            const QJsonObject node = n.toObject();
            const QString host = node.value(QLatin1String("host")).toString();
            const int port = node.value(QLatin1String("port")).toInt();
            addNode(port > 0 ? host + u':' + QString::number(port) : host, node.value(QLatin1String("weight")).toInt(1));
        }
    }
    auto *addNodeButton = new QPushButton(tr("Add node"), this);
    addNodeButton->setObjectName(QStringLiteral("upstreamEditorAddNode"));
    auto *removeNode = new QPushButton(tr("Remove node"), this);
    removeNode->setObjectName(QStringLiteral("upstreamEditorRemoveNode"));
    connect(addNodeButton, &QPushButton::clicked, this, [this] {
        addNode();
        m_nodes->editItem(m_nodes->item(m_nodes->rowCount() - 1, 0));
    });
    connect(removeNode, &QPushButton::clicked, this, [this] {
        if (m_nodes->currentRow() >= 0)
            m_nodes->removeRow(m_nodes->currentRow());
    });
    auto *nodeButtons = new QHBoxLayout;
    nodeButtons->addWidget(addNodeButton);
    nodeButtons->addWidget(removeNode);
    nodeButtons->addStretch(1);
    auto *nodesBox = new QWidget(this);
    auto *nodesLayout = new QVBoxLayout(nodesBox);
    nodesLayout->setContentsMargins(0, 0, 0, 0);
    nodesLayout->addWidget(m_nodes);
    nodesLayout->addLayout(nodeButtons);

    // Timeouts, retries, Host.
    const QJsonObject timeout = u.value(QLatin1String("timeout")).toObject();
    m_connect = seconds(this, "upstreamEditorConnect", tr("default"));
    m_send = seconds(this, "upstreamEditorSend", tr("default"));
    m_read = seconds(this, "upstreamEditorRead", tr("default"));
    m_connect->setValue(timeout.value(QLatin1String("connect")).toDouble());
    m_send->setValue(timeout.value(QLatin1String("send")).toDouble());
    m_read->setValue(timeout.value(QLatin1String("read")).toDouble());
    auto *timeouts = new QHBoxLayout;
    for (const auto &[label, box] : {std::pair{tr("connect"), m_connect}, std::pair{tr("send"), m_send}, std::pair{tr("read"), m_read}}) {
        timeouts->addWidget(new QLabel(label, this));
        timeouts->addWidget(box, 1);
    }
    m_retries = counter(this, "upstreamEditorRetries", 100, tr("default"));
    if (u.contains(QLatin1String("retries")))
        m_retries->setValue(u.value(QLatin1String("retries")).toInt());
    m_passHost = new QComboBox(this);
    m_passHost->setObjectName(QStringLiteral("upstreamEditorPassHost"));
    m_passHost->addItem(tr("(default: pass)"), QString());
    for (const char *v : {"pass", "node", "rewrite"})
        m_passHost->addItem(QLatin1String(v), QLatin1String(v));
    m_passHost->setCurrentIndex(qMax(0, m_passHost->findData(u.value(QLatin1String("pass_host")).toString())));
    m_upstreamHost = new QLineEdit(u.value(QLatin1String("upstream_host")).toString(), this);
    m_upstreamHost->setObjectName(QStringLiteral("upstreamEditorUpstreamHost"));
    m_upstreamHost->setPlaceholderText(tr("with rewrite: the Host to send"));

    // Health checks.
    const QJsonObject checks = u.value(QLatin1String("checks")).toObject();
    const QJsonObject active = checks.value(QLatin1String("active")).toObject();
    m_active = new QGroupBox(tr("Active health checks (probes)"), this);
    m_active->setObjectName(QStringLiteral("upstreamEditorActive"));
    m_active->setCheckable(true);
    m_active->setChecked(!active.isEmpty());
    m_activeType = new QComboBox(m_active);
    m_activeType->setObjectName(QStringLiteral("upstreamEditorActiveType"));
    m_activeType->addItems({QStringLiteral("http"), QStringLiteral("https"), QStringLiteral("tcp")});
    m_activeType->setCurrentText(active.value(QLatin1String("type")).toString(QStringLiteral("http")));
    m_activePath = new QLineEdit(active.value(QLatin1String("http_path")).toString(QStringLiteral("/")), m_active);
    m_activePath->setObjectName(QStringLiteral("upstreamEditorActivePath"));
    m_activeInterval = seconds(m_active, "upstreamEditorActiveInterval", tr("off"));
    m_activeInterval->setValue(active.value(QLatin1String("healthy")).toObject().value(QLatin1String("interval")).toDouble(1));
    m_activeSuccesses = counter(m_active, "upstreamEditorActiveSuccesses", 254, tr("default"));
    if (active.value(QLatin1String("healthy")).toObject().contains(QLatin1String("successes")))
        m_activeSuccesses->setValue(active.value(QLatin1String("healthy")).toObject().value(QLatin1String("successes")).toInt());
    m_activeFailures = counter(m_active, "upstreamEditorActiveFailures", 254, tr("default"));
    if (active.value(QLatin1String("unhealthy")).toObject().contains(QLatin1String("http_failures")))
        m_activeFailures->setValue(active.value(QLatin1String("unhealthy")).toObject().value(QLatin1String("http_failures")).toInt());
    auto *activeForm = new QFormLayout(m_active);
    activeForm->addRow(tr("Probe"), m_activeType);
    activeForm->addRow(tr("Path"), m_activePath);
    activeForm->addRow(tr("Every (healthy)"), m_activeInterval);
    activeForm->addRow(tr("Healthy after successes"), m_activeSuccesses);
    activeForm->addRow(tr("Unhealthy after failures"), m_activeFailures);

    const QJsonObject passive = checks.value(QLatin1String("passive")).toObject();
    m_passive = new QGroupBox(tr("Passive health checks (real answers)"), this);
    m_passive->setObjectName(QStringLiteral("upstreamEditorPassive"));
    m_passive->setCheckable(true);
    m_passive->setChecked(!passive.isEmpty());
    m_passiveSuccesses = counter(m_passive, "upstreamEditorPassiveSuccesses", 254, tr("default"));
    if (passive.value(QLatin1String("healthy")).toObject().contains(QLatin1String("successes")))
        m_passiveSuccesses->setValue(passive.value(QLatin1String("healthy")).toObject().value(QLatin1String("successes")).toInt());
    m_passiveFailures = counter(m_passive, "upstreamEditorPassiveFailures", 254, tr("default"));
    if (passive.value(QLatin1String("unhealthy")).toObject().contains(QLatin1String("http_failures")))
        m_passiveFailures->setValue(passive.value(QLatin1String("unhealthy")).toObject().value(QLatin1String("http_failures")).toInt());
    m_passiveTimeouts = counter(m_passive, "upstreamEditorPassiveTimeouts", 254, tr("default"));
    if (passive.value(QLatin1String("unhealthy")).toObject().contains(QLatin1String("timeouts")))
        m_passiveTimeouts->setValue(passive.value(QLatin1String("unhealthy")).toObject().value(QLatin1String("timeouts")).toInt());
    auto *passiveForm = new QFormLayout(m_passive);
    passiveForm->addRow(tr("Healthy after successes"), m_passiveSuccesses);
    passiveForm->addRow(tr("Unhealthy after failures"), m_passiveFailures);
    passiveForm->addRow(tr("Unhealthy after timeouts"), m_passiveTimeouts);

    form()->addRow(tr("Name"), m_name);
    form()->addRow(tr("Type"), m_type);
    form()->addRow(tr("Scheme"), m_scheme);
    form()->addRow(tr("Nodes"), nodesBox);
    form()->addRow(tr("Timeouts"), timeouts);
    form()->addRow(tr("Retries"), m_retries);
    form()->addRow(tr("Host header"), m_passHost);
    form()->addRow(tr("Upstream host"), m_upstreamHost);
    form()->addRow(m_active);
    form()->addRow(m_passive);
    finishLayout();
    resize(560, 760);
}

UpstreamEditorDialog::~UpstreamEditorDialog() = default;

void UpstreamEditorDialog::addNode(const QString &address, int weight)
{
    const int row = m_nodes->rowCount();
    m_nodes->insertRow(row);
    m_nodes->setItem(row, 0, new QTableWidgetItem(address));
    m_nodes->setItem(row, 1, new QTableWidgetItem(QString::number(weight)));
}

bool UpstreamEditorDialog::body(QJsonObject *out, QString *error) const
{
    QJsonObject &u = *out;
    setOrRemove(u, QStringLiteral("name"), m_name->text().trimmed(), !m_name->text().trimmed().isEmpty());
    u.insert(QStringLiteral("type"), m_type->currentText());
    u.insert(QStringLiteral("scheme"), m_scheme->currentText());
    QJsonObject nodes;
    for (int row = 0; row < m_nodes->rowCount(); ++row) {
        const QString address = m_nodes->item(row, 0) ? m_nodes->item(row, 0)->text().trimmed() : QString();
        if (address.isEmpty())
            continue;
        bool ok = false;
        const int weight = m_nodes->item(row, 1) ? m_nodes->item(row, 1)->text().trimmed().toInt(&ok) : 1;
        if (!ok || weight < 0 || weight > 65535) {
            *error = tr("Node %1: the weight must be a whole number from 0 to 65535.").arg(address);
            return false;
        }
        nodes.insert(address, weight);
    }
    setOrRemove(u, QStringLiteral("nodes"), nodes, !nodes.isEmpty());
    if (nodes.isEmpty() && (m_type->currentText() == QLatin1String("http") || m_type->currentText() == QLatin1String("websocket")
                            || m_type->currentText() == QLatin1String("sse"))) {
        *error = tr("An %1 upstream needs at least one node (host:port).").arg(m_type->currentText());
        return false;
    }
    QJsonObject timeout = u.value(QLatin1String("timeout")).toObject();
    for (const auto &[key, box] : {std::pair{QStringLiteral("connect"), m_connect}, std::pair{QStringLiteral("send"), m_send},
                                   std::pair{QStringLiteral("read"), m_read}})
        setOrRemove(timeout, key, box->value(), box->value() > 0);
    setOrRemove(u, QStringLiteral("timeout"), timeout, !timeout.isEmpty());
    setOrRemove(u, QStringLiteral("retries"), m_retries->value(), m_retries->value() >= 0);
    const QString passHost = m_passHost->currentData().toString();
    setOrRemove(u, QStringLiteral("pass_host"), passHost, !passHost.isEmpty());
    setOrRemove(u, QStringLiteral("upstream_host"), m_upstreamHost->text().trimmed(), !m_upstreamHost->text().trimmed().isEmpty());

    QJsonObject checks = u.value(QLatin1String("checks")).toObject();
    if (m_active->isChecked()) {
        QJsonObject active = checks.value(QLatin1String("active")).toObject();
        active.insert(QStringLiteral("type"), m_activeType->currentText());
        setOrRemove(active, QStringLiteral("http_path"), m_activePath->text().trimmed(),
                    m_activeType->currentText() != QLatin1String("tcp") && !m_activePath->text().trimmed().isEmpty());
        QJsonObject healthy = active.value(QLatin1String("healthy")).toObject();
        healthy.insert(QStringLiteral("interval"), m_activeInterval->value());
        setOrRemove(healthy, QStringLiteral("successes"), m_activeSuccesses->value(), m_activeSuccesses->value() >= 0);
        active.insert(QStringLiteral("healthy"), healthy);
        QJsonObject unhealthy = active.value(QLatin1String("unhealthy")).toObject();
        if (!unhealthy.contains(QLatin1String("interval")))
            unhealthy.insert(QStringLiteral("interval"), m_activeInterval->value());
        setOrRemove(unhealthy, QStringLiteral("http_failures"), m_activeFailures->value(), m_activeFailures->value() >= 0);
        active.insert(QStringLiteral("unhealthy"), unhealthy);
        checks.insert(QStringLiteral("active"), active);
    } else {
        checks.remove(QStringLiteral("active"));
    }
    if (m_passive->isChecked()) {
        QJsonObject passive = checks.value(QLatin1String("passive")).toObject();
        QJsonObject healthy = passive.value(QLatin1String("healthy")).toObject();
        setOrRemove(healthy, QStringLiteral("successes"), m_passiveSuccesses->value(), m_passiveSuccesses->value() >= 0);
        setOrRemove(passive, QStringLiteral("healthy"), healthy, !healthy.isEmpty());
        QJsonObject unhealthy = passive.value(QLatin1String("unhealthy")).toObject();
        setOrRemove(unhealthy, QStringLiteral("http_failures"), m_passiveFailures->value(), m_passiveFailures->value() >= 0);
        setOrRemove(unhealthy, QStringLiteral("timeouts"), m_passiveTimeouts->value(), m_passiveTimeouts->value() >= 0);
        setOrRemove(passive, QStringLiteral("unhealthy"), unhealthy, !unhealthy.isEmpty());
        checks.insert(QStringLiteral("passive"), passive);
    } else {
        checks.remove(QStringLiteral("passive"));
    }
    setOrRemove(u, QStringLiteral("checks"), checks, !checks.isEmpty());
    return true;
}

// --- GlobalRuleEditorDialog -------------------------------------------------------------

GlobalRuleEditorDialog::GlobalRuleEditorDialog(EngineClient *client, RoutePluginCatalog *catalog, bool create, const QJsonObject &rule,
                                               const QStringList &existingIds, QWidget *parent)
    : ResourceEditorDialog(client, QStringLiteral("global_rules"), create, rule, existingIds, parent)
{
    setObjectName(QStringLiteral("globalRuleEditor"));
    setWindowTitle(create ? tr("New global rule") : tr("Edit global rule %1").arg(rule.value(QLatin1String("id")).toString()));
    m_plugins = new RoutePluginsEdit(catalog, RoutePluginsEdit::Mode::Route, this);
    m_plugins->setObjectName(QStringLiteral("globalRulePlugins"));
    m_plugins->setPlugins(original().value(QLatin1String("plugins")).toObject());
    form()->addRow(new QLabel(tr("Plugins (they run on every request, before each route's own)"), this));
    form()->addRow(m_plugins);
    finishLayout();
    resize(760, 560);
}

GlobalRuleEditorDialog::~GlobalRuleEditorDialog() = default;

bool GlobalRuleEditorDialog::body(QJsonObject *out, QString *error) const
{
    if (!m_plugins->isValid()) {
        *error = m_plugins->isChecking() ? tr("The plugins are still being checked.") : tr("Fix the plugins first: %1").arg(m_plugins->errors().join(QStringLiteral("; ")));
        return false;
    }
    out->insert(QStringLiteral("plugins"), m_plugins->plugins());
    return true;
}

// --- ResourceListPanel ------------------------------------------------------------------

ResourceListPanel::ResourceListPanel(EngineClient *client, const QString &kind, const QString &prefix, const QString &what,
                                     const QList<Column> &columns, EditorFactory factory, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
    , m_kind(kind)
    , m_what(what)
    , m_factory(std::move(factory))
{
    setObjectName(prefix + QStringLiteral("Panel"));
    QList<JsonRowsModel::Column> modelColumns;
    for (const Column &c : columns)
        modelColumns.append(JsonRowsModel::Column{c.title, QString(), [text = c.text](const QJsonObject &row) -> QVariant { return text(row); }});
    m_model = new JsonRowsModel(QStringLiteral("id"), modelColumns, this);
    auto *add = new QPushButton(tr("&Add…"), this);
    add->setObjectName(prefix + QStringLiteral("Add"));
    m_edit = new QPushButton(tr("&Edit…"), this);
    m_edit->setObjectName(prefix + QStringLiteral("Edit"));
    m_delete = new QPushButton(tr("&Delete"), this);
    m_delete->setObjectName(prefix + QStringLiteral("Delete"));
    m_message = new QLabel(this);
    m_message->setObjectName(prefix + QStringLiteral("Message"));
    m_message->setWordWrap(true);
    m_view = new QTableView(this);
    m_view->setObjectName(prefix + QStringLiteral("Table"));
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->verticalHeader()->hide();
    auto *tools = new QHBoxLayout;
    tools->addWidget(add);
    tools->addWidget(m_edit);
    tools->addWidget(m_delete);
    tools->addWidget(m_message, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(tools);
    layout->addWidget(m_view, 1);

    const auto update = [this] {
        const bool selected = !selectedId().isEmpty();
        m_edit->setEnabled(selected);
        m_delete->setEnabled(selected);
    };
    connect(add, &QPushButton::clicked, this, &ResourceListPanel::add);
    connect(m_edit, &QPushButton::clicked, this, &ResourceListPanel::editSelected);
    connect(m_delete, &QPushButton::clicked, this, &ResourceListPanel::deleteSelected);
    connect(m_view, &QTableView::activated, this, &ResourceListPanel::editSelected);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, update);
    connect(m_model, &QAbstractItemModel::modelReset, this, update);
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, update);
    connect(client, &EngineClient::resourcesChanged, this, [this](const QString &changed) {
        if (changed == m_kind || changed == QLatin1String("config"))
            reload();
    });
    update();
    reload();
}

ResourceListPanel::~ResourceListPanel() = default;

void ResourceListPanel::reload()
{
    m_client->adminGet("/admin/" + m_kind.toUtf8(), this, [this](const ClientReply &reply) {
        if (!reply.isSuccess()) {
            m_message->setText(reply.errorText());
            return;
        }
        m_model->setItems(reply.object().value(QLatin1String("items")).toArray());
    });
}

QString ResourceListPanel::selectedId() const
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : m_model->key(rows.first().row());
}

void ResourceListPanel::add()
{
    QStringList ids;
    for (int row = 0; row < m_model->rowCount(); ++row)
        ids.append(m_model->key(row));
    ResourceEditorDialog *dialog = m_factory(true, {}, ids, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &ResourceEditorDialog::saved, this, [this](const QString &id) { m_message->setText(tr("Saved %1 %2.").arg(m_what, id)); });
    dialog->open();
}

void ResourceListPanel::editSelected()
{
    const int row = m_model->rowOf(selectedId());
    if (row < 0)
        return;
    ResourceEditorDialog *dialog = m_factory(false, m_model->item(row), {}, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &ResourceEditorDialog::saved, this, [this](const QString &id) { m_message->setText(tr("Saved %1 %2.").arg(m_what, id)); });
    dialog->open();
}

void ResourceListPanel::deleteSelected()
{
    const QString id = selectedId();
    if (id.isEmpty())
        return;
    auto *confirm = new QMessageBox(QMessageBox::Question, tr("Delete %1").arg(m_what), tr("Delete %1 %2?").arg(m_what, id),
                                    QMessageBox::Yes | QMessageBox::Cancel, this);
    confirm->setObjectName(QStringLiteral("resourceDeleteConfirm"));
    confirm->setAttribute(Qt::WA_DeleteOnClose);
    connect(confirm, &QMessageBox::buttonClicked, this, [this, confirm, id](QAbstractButton *button) {
        if (confirm->standardButton(button) != QMessageBox::Yes)
            return;
        m_client->admin("DELETE", "/admin/" + m_kind.toUtf8() + '/' + EngineClient::encode(id), {}, this, [this, id](const ClientReply &reply) {
            m_message->setText(reply.isSuccess() ? tr("Deleted %1 %2.").arg(m_what, id) : tr("Cannot delete %1: %2").arg(id, reply.errorText()));
        });
    });
    confirm->open();
}

} // namespace Gatehouse::Ui
