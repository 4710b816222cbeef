#include "routeeditordialog.h"

#include "engineclient.h"
#include "models/routeplugincatalog.h"
#include "routepluginsedit.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

namespace Gatehouse::Ui {

namespace {
const QStringList kMethods{QStringLiteral("GET"), QStringLiteral("POST"), QStringLiteral("PUT"), QStringLiteral("PATCH"),
                           QStringLiteral("DELETE"), QStringLiteral("HEAD"), QStringLiteral("OPTIONS")};
const QStringList kUpstreamTypes{QStringLiteral("command"), QStringLiteral("query"), QStringLiteral("events"),
                                 QStringLiteral("function"), QStringLiteral("http"), QStringLiteral("websocket"),
                                 QStringLiteral("sse")};
const QString kSharedUpstream = QStringLiteral("upstream_id");

QStringList splitList(const QString &text)
{
    static const QRegularExpression separators(QStringLiteral("[,\\s]+"));
    return text.split(separators, Qt::SkipEmptyParts);
}
} // namespace

RouteEditorDialog::RouteEditorDialog(EngineClient *client, RoutePluginCatalog *catalog, Mode mode, const QJsonObject &route,
                                     const QStringList &existingIds, QWidget *parent)
    : QDialog(parent)
    , m_client(client)
    , m_catalog(catalog)
    , m_mode(mode)
    , m_original(route)
    , m_existingIds(existingIds)
{
    setObjectName(QStringLiteral("routeEditor"));
    setWindowTitle(mode == Mode::Create ? tr("New route") : tr("Edit route %1").arg(route.value(QStringLiteral("id")).toString()));
    m_original.remove(QStringLiteral("create_time"));
    m_original.remove(QStringLiteral("update_time"));
    buildForm();
    load(m_original);
    loadChoices();
    resize(640, 720);
}

RouteEditorDialog::~RouteEditorDialog() = default;

void RouteEditorDialog::buildForm()
{
    auto named = [](QWidget *w, const char *name) { w->setObjectName(QLatin1String(name)); return w; };
    m_id = new QLineEdit(this);
    m_id->setPlaceholderText(tr("generated when empty"));
    m_id->setReadOnly(m_mode == Mode::Edit);
    m_name = new QLineEdit(this);
    m_uri = new QLineEdit(this);
    m_uri->setPlaceholderText(QStringLiteral("/api/products/:id"));
    auto *methods = new QWidget(this);
    auto *methodRow = new QHBoxLayout(methods);
    methodRow->setContentsMargins(0, 0, 0, 0);
    for (const QString &m : kMethods) {
        auto *box = new QCheckBox(m, methods);
        box->setObjectName(QStringLiteral("routeEditorMethod") + m);
        methodRow->addWidget(box);
        m_methods.insert(m, box);
        connect(box, &QCheckBox::toggled, this, &RouteEditorDialog::checkFields);
    }
    methodRow->addStretch();
    methods->setToolTip(tr("None checked: any method"));
    m_hosts = new QLineEdit(this);
    m_hosts->setPlaceholderText(tr("any host; e.g. api.example.com, *.example.com"));
    m_priority = new QSpinBox(this);
    m_priority->setRange(-1000000, 1000000);
    m_enabled = new QCheckBox(tr("Enabled"), this);
    m_upstreamType = new QComboBox(this);
    for (const QString &t : kUpstreamTypes)
        m_upstreamType->addItem(t, t);
    m_collection = new QComboBox(this);
    m_collection->setEditable(true);
    m_function = new QComboBox(this);
    m_function->setEditable(true);
    m_scheme = new QComboBox(this);
    m_scheme->addItems({QStringLiteral("http"), QStringLiteral("https")});
    m_nodes = new QLineEdit(this);
    m_nodes->setPlaceholderText(QStringLiteral("10.0.0.1:8080=2, 10.0.0.2:8080"));
    m_plugins = new RoutePluginsEdit(m_catalog, RoutePluginsEdit::Mode::Route, this);
    m_fieldErrorLabel = new QLabel(this);
    m_fieldErrorLabel->setStyleSheet(QStringLiteral("color: #a00000"));
    m_fieldErrorLabel->setWordWrap(true);
    m_serverError = new QLabel(this);
    m_serverError->setStyleSheet(QStringLiteral("color: #a00000"));
    m_serverError->setWordWrap(true);
    m_serverError->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_serverError->hide();
    m_buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    m_save = m_buttons->button(QDialogButtonBox::Save);

    named(m_id, "routeEditorId");
    named(m_name, "routeEditorName");
    named(m_uri, "routeEditorUri");
    named(m_hosts, "routeEditorHosts");
    named(m_priority, "routeEditorPriority");
    named(m_enabled, "routeEditorEnabled");
    named(m_upstreamType, "routeEditorUpstreamType");
    named(m_collection, "routeEditorCollection");
    named(m_function, "routeEditorFunction");
    named(m_scheme, "routeEditorScheme");
    named(m_nodes, "routeEditorNodes");
    named(m_plugins, "routeEditorPlugins");
    named(m_fieldErrorLabel, "routeEditorFieldErrors");
    named(m_serverError, "routeEditorServerError");
    named(m_save, "routeEditorSave");

    m_form = new QFormLayout;
    m_form->addRow(tr("&ID"), m_id);
    m_form->addRow(tr("&Name"), m_name);
    m_form->addRow(tr("&URI"), m_uri);
    m_form->addRow(tr("Methods"), methods);
    m_form->addRow(tr("&Hosts"), m_hosts);
    m_form->addRow(tr("&Priority"), m_priority);
    m_form->addRow(tr("Status"), m_enabled);
    m_form->addRow(tr("U&pstream"), m_upstreamType);
    m_form->addRow(tr("&Collection"), m_collection);
    m_form->addRow(tr("&Function"), m_function);
    m_form->addRow(tr("Scheme"), m_scheme);
    m_form->addRow(tr("N&odes"), m_nodes);

    // Match conditions (APISIX vars): every row must hold for the route to match.
    m_vars = new QTableWidget(0, 4, this);
    m_vars->setObjectName(QStringLiteral("routeEditorVars"));
    m_vars->setHorizontalHeaderLabels({tr("Variable"), tr("Not"), tr("Operator"), tr("Value")});
    m_vars->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_vars->horizontalHeader()->setSectionResizeMode(3, QHeaderView::Stretch);
    m_vars->verticalHeader()->hide();
    m_vars->setMaximumHeight(120);
    m_vars->setToolTip(tr("Variables: arg_<name>, http_<header>, cookie_<name>, uri, host, request_method, remote_addr; "
                          "operators == ~= > < ~~ (regex) ~* (regex, any case) in (a JSON array) has"));
    auto *addVarButton = new QPushButton(tr("Add condition"), this);
    addVarButton->setObjectName(QStringLiteral("routeEditorAddVar"));
    auto *removeVar = new QPushButton(tr("Remove"), this);
    removeVar->setObjectName(QStringLiteral("routeEditorRemoveVar"));
    connect(addVarButton, &QPushButton::clicked, this, [this] {
        addVar();
        m_vars->editItem(m_vars->item(m_vars->rowCount() - 1, 0));
        checkFields();
    });
    connect(removeVar, &QPushButton::clicked, this, [this] {
        if (m_vars->currentRow() >= 0)
            m_vars->removeRow(m_vars->currentRow());
        checkFields();
    });
    connect(m_vars, &QTableWidget::itemChanged, this, &RouteEditorDialog::checkFields);
    auto *varsBox = new QWidget(this);
    auto *varsLayout = new QVBoxLayout(varsBox);
    varsLayout->setContentsMargins(0, 0, 0, 0);
    varsLayout->addWidget(m_vars);
    auto *varButtons = new QHBoxLayout;
    varButtons->addWidget(addVarButton);
    varButtons->addWidget(removeVar);
    varButtons->addStretch(1);
    varsLayout->addLayout(varButtons);
    m_form->addRow(tr("Match &vars"), varsBox);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(m_form);
    layout->addWidget(new QLabel(tr("Plugins (JSON: plugin name → config)"), this));
    layout->addWidget(m_plugins, 1);
    layout->addWidget(m_fieldErrorLabel);
    layout->addWidget(m_serverError);
    layout->addWidget(m_buttons);

    for (QLineEdit *edit : {m_id, m_name, m_uri, m_hosts, m_nodes})
        connect(edit, &QLineEdit::textChanged, this, &RouteEditorDialog::checkFields);
    connect(m_collection, &QComboBox::currentTextChanged, this, &RouteEditorDialog::checkFields);
    connect(m_function, &QComboBox::currentTextChanged, this, &RouteEditorDialog::checkFields);
    connect(m_upstreamType, &QComboBox::currentIndexChanged, this, [this] {
        showUpstreamFields();
        checkFields();
    });
    connect(m_plugins, &RoutePluginsEdit::validityChanged, this, &RouteEditorDialog::updateSaveButton);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &RouteEditorDialog::save);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

void RouteEditorDialog::load(const QJsonObject &route)
{
    m_id->setText(route.value(QStringLiteral("id")).toString());
    m_name->setText(route.value(QStringLiteral("name")).toString());
    m_uri->setText(route.value(QStringLiteral("uri")).toString());
    const QJsonArray methods = route.value(QStringLiteral("methods")).toArray();
    for (auto it = m_methods.cbegin(); it != m_methods.cend(); ++it)
        it.value()->setChecked(methods.contains(it.key()));
    QStringList hosts;
    for (const QJsonValue &h : route.value(QStringLiteral("hosts")).toArray())
        hosts.append(h.toString());
    m_hosts->setText(hosts.join(QStringLiteral(", ")));
    m_priority->setValue(route.value(QStringLiteral("priority")).toInt());
    m_enabled->setChecked(route.value(QStringLiteral("status")).toInt(1) != 0);
    const QJsonObject up = route.value(QStringLiteral("upstream")).toObject();
    if (route.contains(kSharedUpstream)) {
        m_upstreamType->insertItem(0, tr("shared upstream %1").arg(route.value(kSharedUpstream).toString()), kSharedUpstream);
        m_upstreamType->setCurrentIndex(0);
    } else {
        m_upstreamType->setCurrentIndex(qMax(0, m_upstreamType->findData(up.value(QStringLiteral("type")).toString(QStringLiteral("query")))));
    }
    m_collection->setCurrentText(up.value(QStringLiteral("collection")).toString());
    m_function->setCurrentText(up.value(QStringLiteral("function")).toString());
    m_scheme->setCurrentText(up.value(QStringLiteral("scheme")).toString(QStringLiteral("http")));
    m_nodes->setText(formatNodes(up.value(QStringLiteral("nodes"))));
    m_plugins->setPlugins(route.value(QStringLiteral("plugins")).toObject());
    m_vars->setRowCount(0);
    for (const QJsonValue &term : route.value(QStringLiteral("vars")).toArray()) {
        const QJsonArray t = term.toArray();
        const bool negate = t.size() == 4;
        const QJsonValue value = t.at(negate ? 3 : 2);
        addVar(t.at(0).toString(), negate, t.at(negate ? 2 : 1).toString(),
               value.isString() ? value.toString()
                                : QString::fromUtf8(QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact)).mid(1).chopped(1));
    }
    showUpstreamFields();
    checkFields();
}

void RouteEditorDialog::loadChoices()
{
    // Offer the engine's collections and functions; typing another name stays possible.
    auto fill = [this](const QByteArray &target, QComboBox *combo) {
        m_client->adminGet(target, combo, [combo](const ClientReply &reply) {
            const QString current = combo->currentText();
            for (const QJsonValue &v : reply.object().value(QStringLiteral("items")).toArray()) {
                const QString name = v.toObject().value(QStringLiteral("name")).toString();
                if (!name.isEmpty() && combo->findText(name) < 0)
                    combo->addItem(name);
            }
            combo->setCurrentText(current);
        });
    };
    fill(QByteArrayLiteral("/admin/collections"), m_collection);
    fill(QByteArrayLiteral("/admin/functions"), m_function);
}

void RouteEditorDialog::showUpstreamFields()
{
    const QString type = m_upstreamType->currentData().toString();
    m_form->setRowVisible(m_collection, type == QLatin1String("command") || type == QLatin1String("query"));
    m_form->setRowVisible(m_function, type == QLatin1String("function"));
    m_form->setRowVisible(m_scheme, type == QLatin1String("http"));
    m_form->setRowVisible(m_nodes, type == QLatin1String("http"));
}

QJsonObject RouteEditorDialog::parseNodes(const QString &text, QStringList *errors)
{
    static const QRegularExpression node(QStringLiteral("^([^\\s:=]+|\\[[0-9a-fA-F:.]+\\]):(\\d{1,5})(?:=(\\d{1,5}))?$"));
    QJsonObject nodes;
    for (const QString &item : splitList(text)) {
        const QRegularExpressionMatch m = node.match(item);
        const int port = m.captured(2).toInt();
        if (!m.hasMatch() || port < 1 || port > 65535 || m.captured(3).toInt() > 65535) {
            errors->append(tr("Nodes: '%1' is not host:port or host:port=weight").arg(item));
            continue;
        }
        nodes.insert(m.captured(1) + QLatin1Char(':') + m.captured(2), m.captured(3).isEmpty() ? 1 : m.captured(3).toInt());
    }
    return nodes;
}

QString RouteEditorDialog::formatNodes(const QJsonValue &nodes)
{
    QStringList out;
    auto add = [&out](const QString &address, int weight) {
        out.append(weight == 1 ? address : address + QLatin1Char('=') + QString::number(weight));
    };
    const QJsonObject byAddress = nodes.toObject();
    for (auto it = byAddress.begin(); it != byAddress.end(); ++it)
        add(it.key(), it.value().toInt(1));
    for (const QJsonValue &v : nodes.toArray()) {
        const QJsonObject n = v.toObject();
        add(n.value(QStringLiteral("host")).toString() + QLatin1Char(':') + QString::number(n.value(QStringLiteral("port")).toInt(80)),
            n.value(QStringLiteral("weight")).toInt(1));
    }
    return out.join(QStringLiteral(", "));
}

QJsonObject RouteEditorDialog::routeJson() const
{
    QJsonObject route = m_original;
    auto setOrRemove = [&route](const QString &key, const QJsonValue &value, bool keep) {
        if (keep)
            route.insert(key, value);
        else
            route.remove(key);
    };
    const QString id = m_id->text().trimmed();
    setOrRemove(QStringLiteral("id"), id, !id.isEmpty());
    setOrRemove(QStringLiteral("name"), m_name->text().trimmed(), !m_name->text().trimmed().isEmpty());
    route.insert(QStringLiteral("uri"), m_uri->text().trimmed());
    QJsonArray methods;
    for (const QString &m : kMethods) {
        if (m_methods.value(m)->isChecked())
            methods.append(m);
    }
    setOrRemove(QStringLiteral("methods"), methods, !methods.isEmpty());
    const QStringList hosts = splitList(m_hosts->text());
    setOrRemove(QStringLiteral("hosts"), QJsonArray::fromStringList(hosts), !hosts.isEmpty());
    route.remove(QStringLiteral("host"));
    route.insert(QStringLiteral("priority"), m_priority->value());
    route.insert(QStringLiteral("status"), m_enabled->isChecked() ? 1 : 0);

    const QString type = m_upstreamType->currentData().toString();
    if (type == kSharedUpstream) {
        route.remove(QStringLiteral("upstream"));
    } else {
        route.remove(kSharedUpstream);
        // The same type keeps the fields the form does not show (timeouts, retries, checks…).
        const QJsonObject before = m_original.value(QStringLiteral("upstream")).toObject();
        QJsonObject up = before.value(QStringLiteral("type")).toString() == type ? before : QJsonObject();
        up.insert(QStringLiteral("type"), type);
        const bool usesCollection = type == QLatin1String("command") || type == QLatin1String("query");
        up.remove(QStringLiteral("collection"));
        up.remove(QStringLiteral("function"));
        if (usesCollection)
            up.insert(QStringLiteral("collection"), m_collection->currentText().trimmed());
        if (type == QLatin1String("function"))
            up.insert(QStringLiteral("function"), m_function->currentText().trimmed());
        if (type == QLatin1String("http")) {
            QStringList ignored;
            up.insert(QStringLiteral("nodes"), parseNodes(m_nodes->text(), &ignored));
            up.insert(QStringLiteral("scheme"), m_scheme->currentText());
        }
        route.insert(QStringLiteral("upstream"), up);
    }
    route.insert(QStringLiteral("plugins"), m_plugins->plugins());
    QStringList ignored;
    const QJsonArray vars = varsJson(&ignored);
    setOrRemove(QStringLiteral("vars"), vars, !vars.isEmpty());
    return route;
}

void RouteEditorDialog::addVar(const QString &variable, bool negate, const QString &op, const QString &value)
{
    const QSignalBlocker blocker(m_vars);
    const int row = m_vars->rowCount();
    m_vars->insertRow(row);
    m_vars->setItem(row, 0, new QTableWidgetItem(variable));
    auto *notItem = new QTableWidgetItem;
    notItem->setFlags(Qt::ItemIsUserCheckable | Qt::ItemIsEnabled | Qt::ItemIsSelectable);
    notItem->setCheckState(negate ? Qt::Checked : Qt::Unchecked);
    m_vars->setItem(row, 1, notItem);
    auto *ops = new QComboBox(m_vars);
    ops->setObjectName(QStringLiteral("routeEditorVarOperator%1").arg(row));
    ops->addItems({QStringLiteral("=="), QStringLiteral("~="), QStringLiteral(">"), QStringLiteral("<"), QStringLiteral("~~"),
                   QStringLiteral("~*"), QStringLiteral("in"), QStringLiteral("has")});
    ops->setCurrentText(op);
    connect(ops, &QComboBox::currentIndexChanged, this, &RouteEditorDialog::checkFields);
    m_vars->setCellWidget(row, 2, ops);
    m_vars->setItem(row, 3, new QTableWidgetItem(value));
}

QJsonArray RouteEditorDialog::varsJson(QStringList *errors) const
{
    static const QRegularExpression variable(QStringLiteral("^((arg|http|cookie)_[A-Za-z0-9_.-]+|uri|host|request_method|remote_addr)$"));
    QJsonArray vars;
    for (int row = 0; row < m_vars->rowCount(); ++row) {
        const QString name = m_vars->item(row, 0) ? m_vars->item(row, 0)->text().trimmed() : QString();
        const QString text = m_vars->item(row, 3) ? m_vars->item(row, 3)->text() : QString();
        if (name.isEmpty() && text.isEmpty())
            continue;
        if (!variable.match(name).hasMatch()) {
            errors->append(tr("Vars, row %1: '%2' is not a variable (arg_<name>, http_<header>, cookie_<name>, uri, host, request_method, remote_addr)")
                               .arg(row + 1).arg(name));
            continue;
        }
        const QString op = static_cast<QComboBox *>(m_vars->cellWidget(row, 2))->currentText();
        QJsonValue value = text;
        if (op == QLatin1String("in")) {
            const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8());
            if (!doc.isArray()) {
                errors->append(tr("Vars, row %1: in takes a JSON array, e.g. [\"GET\", \"HEAD\"]").arg(row + 1));
                continue;
            }
            value = doc.array();
        } else if (op == QLatin1String(">") || op == QLatin1String("<")) {
            bool ok = false;
            const double n = text.trimmed().toDouble(&ok);
            if (ok)
                value = n;
        }
        QJsonArray term{name};
        if (m_vars->item(row, 1)->checkState() == Qt::Checked)
            term.append(QStringLiteral("!"));
        term.append(op);
        term.append(value);
        vars.append(term);
    }
    return vars;
}

void RouteEditorDialog::checkFields()
{
    static const QRegularExpression idPattern(QStringLiteral("^[A-Za-z0-9._-]{1,64}$"));
    QStringList errors;
    const QString id = m_id->text().trimmed();
    if (!id.isEmpty() && !idPattern.match(id).hasMatch())
        errors.append(tr("ID: 1-64 of A-Z a-z 0-9 . _ -"));
    else if (m_mode == Mode::Create && m_existingIds.contains(id))
        errors.append(tr("ID: a route '%1' exists already").arg(id));
    const QString uri = m_uri->text().trimmed();
    if (!uri.startsWith(QLatin1Char('/')))
        errors.append(tr("URI: must start with /"));
    else if (uri.contains(QLatin1Char('*')) && !uri.endsWith(QLatin1Char('*')))
        errors.append(tr("URI: * is only allowed at the end"));
    const QString type = m_upstreamType->currentData().toString();
    if ((type == QLatin1String("command") || type == QLatin1String("query")) && m_collection->currentText().trimmed().isEmpty())
        errors.append(tr("Collection: required for a %1 upstream").arg(type));
    if (type == QLatin1String("function") && m_function->currentText().trimmed().isEmpty())
        errors.append(tr("Function: required for a function upstream"));
    if (type == QLatin1String("http")) {
        QStringList nodeErrors;
        if (parseNodes(m_nodes->text(), &nodeErrors).isEmpty() && nodeErrors.isEmpty())
            nodeErrors.append(tr("Nodes: at least one host:port"));
        errors += nodeErrors;
    }
    varsJson(&errors);
    m_fieldErrors = errors;
    m_fieldErrorLabel->setText(errors.join(QLatin1Char('\n')));
    m_fieldErrorLabel->setVisible(!errors.isEmpty());
    updateSaveButton();
}

bool RouteEditorDialog::canSave() const
{
    return !m_saving && m_fieldErrors.isEmpty() && m_plugins->isValid();
}

void RouteEditorDialog::updateSaveButton()
{
    m_save->setEnabled(canSave());
}

void RouteEditorDialog::save()
{
    if (!canSave())
        return;
    const QJsonObject route = routeJson();
    const QString id = route.value(QStringLiteral("id")).toString();
    const QByteArray body = QJsonDocument(route).toJson(QJsonDocument::Compact);
    m_saving = true;
    updateSaveButton();
    m_serverError->hide();
    auto done = [this](const ClientReply &reply) {
        m_saving = false;
        updateSaveButton();
        if (!reply.isSuccess()) {
            m_serverError->setText(tr("The engine refused the route:\n%1").arg(reply.errorText()));
            m_serverError->show();
            return;
        }
        Q_EMIT saved(reply.object().value(QStringLiteral("id")).toString());
        accept();
    };
    if (id.isEmpty())
        m_client->admin(QByteArrayLiteral("POST"), QByteArrayLiteral("/admin/routes"), body, this, done);
    else
        m_client->admin(QByteArrayLiteral("PUT"), "/admin/routes/" + EngineClient::encode(id), body, this, done);
}

} // namespace Gatehouse::Ui
