#include "routespage.h"

#include "engineclient.h"
#include "models/routeplugincatalog.h"
#include "models/routetablemodel.h"
#include "widgets/consumerspanel.h"
#include "widgets/requesttesterwidget.h"
#include "widgets/resourceeditors.h"
#include "widgets/routeeditordialog.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

#include <functional>
#include <memory>

namespace Gatehouse::Ui {

namespace {
constexpr qint64 kCounterIntervalMs = 2000;   // /metrics at most this often

QPushButton *button(const QString &text, const char *name, QWidget *parent)
{
    auto *b = new QPushButton(text, parent);
    b->setObjectName(QLatin1String(name));
    return b;
}
} // namespace

RoutesPage::RoutesPage(EngineClient *client, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
    , m_catalog(new RoutePluginCatalog(client, this))
    , m_model(new RouteTableModel(this))
    , m_proxy(new QSortFilterProxyModel(this))
{
    setObjectName(QStringLiteral("routesPage"));
    m_proxy->setObjectName(QStringLiteral("routeProxy"));
    m_proxy->setSourceModel(m_model);
    m_proxy->setFilterKeyColumn(-1);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_proxy->setSortRole(RouteTableModel::SortRole);

    auto *routesTab = new QWidget(this);
    m_add = button(tr("&Add…"), "routeAdd", routesTab);
    m_edit = button(tr("&Edit…"), "routeEdit", routesTab);
    m_duplicate = button(tr("D&uplicate…"), "routeDuplicate", routesTab);
    m_delete = button(tr("&Delete"), "routeDelete", routesTab);
    m_toggle = button(tr("Disa&ble"), "routeToggle", routesTab);
    m_test = button(tr("&Test"), "routeTest", routesTab);
    m_test->setToolTip(tr("Open the selected route in the request tester"));
    m_filter = new QLineEdit(routesTab);
    m_filter->setObjectName(QStringLiteral("routeFilter"));
    m_filter->setPlaceholderText(tr("Filter routes"));
    m_filter->setClearButtonEnabled(true);
    m_message = new QLabel(routesTab);
    m_message->setObjectName(QStringLiteral("routeMessage"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_view = new QTableView(routesTab);
    m_view->setObjectName(QStringLiteral("routeTable"));
    m_view->setModel(m_proxy);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(-1, Qt::AscendingOrder);   // the admin API's order until a header is clicked
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);   // delete, enable, disable several
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->verticalHeader()->hide();
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 8);
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);

    auto *tools = new QHBoxLayout;
    for (QPushButton *b : {m_add, m_edit, m_duplicate, m_delete, m_toggle, m_test})
        tools->addWidget(b);
    tools->addStretch();
    tools->addWidget(m_filter);
    auto *routesLayout = new QVBoxLayout(routesTab);
    routesLayout->addLayout(tools);
    routesLayout->addWidget(m_view, 1);
    routesLayout->addWidget(m_message);

    m_consumers = new ConsumersPanel(client, m_catalog, this);
    m_tester = new RequestTesterWidget(client, this);
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("routesTabs"));
    m_tabs->addTab(routesTab, tr("Routes"));
    m_tabs->addTab(m_consumers, tr("Consumers"));
    m_tabs->addTab(m_tester, tr("Request tester"));
    // Upstreams and global rules, each with its editor.
    using Column = ResourceListPanel::Column;
    const auto text = [](const char *member) {
        return [member = QLatin1String(member)](const QJsonObject &o) { return o.value(member).toVariant().toString(); };
    };
    m_upstreams = new ResourceListPanel(
        client, QStringLiteral("upstreams"), QStringLiteral("upstream"), tr("upstream"),
        {Column{tr("ID"), text("id")}, Column{tr("Name"), text("name")}, Column{tr("Type"), text("type")},
         Column{tr("Nodes"), [](const QJsonObject &o) {
              QStringList nodes;
              const QJsonObject map = o.value(QLatin1String("nodes")).toObject();
              for (auto it = map.begin(); it != map.end(); ++it)
                  nodes.append(QStringLiteral("%1 (weight %2)").arg(it.key()).arg(it.value().toInt()));
              for (const QJsonValue &n : o.value(QLatin1String("nodes")).toArray())
                  nodes.append(QStringLiteral("%1:%2").arg(n.toObject().value(QLatin1String("host")).toString()).arg(n.toObject().value(QLatin1String("port")).toInt()));
              return nodes.join(QStringLiteral(", "));
          }},
         Column{tr("Health checks"), [](const QJsonObject &o) { return o.value(QLatin1String("checks")).toObject().keys().join(QStringLiteral(", ")); }},
         Column{tr("Timeouts (s)"), [](const QJsonObject &o) {
              const QJsonObject t = o.value(QLatin1String("timeout")).toObject();
              QStringList parts;
              for (const char *k : {"connect", "send", "read"}) {
                  if (t.contains(QLatin1String(k)))
                      parts.append(QStringLiteral("%1 %2").arg(QLatin1String(k)).arg(t.value(QLatin1String(k)).toDouble()));
              }
              return parts.join(QStringLiteral(", "));
          }}},
        [client](bool create, const QJsonObject &upstream, const QStringList &ids, QWidget *owner) -> ResourceEditorDialog * {
            return new UpstreamEditorDialog(client, create, upstream, ids, owner);
        },
        this);
    m_globalRules = new ResourceListPanel(
        client, QStringLiteral("global_rules"), QStringLiteral("globalRule"), tr("global rule"),
        {Column{tr("ID"), text("id")},
         Column{tr("Plugins"), [](const QJsonObject &o) { return o.value(QLatin1String("plugins")).toObject().keys().join(QStringLiteral(", ")); }}},
        [client, catalog = m_catalog](bool create, const QJsonObject &rule, const QStringList &ids, QWidget *owner) -> ResourceEditorDialog * {
            return new GlobalRuleEditorDialog(client, catalog, create, rule, ids, owner);
        },
        this);
    m_tabs->addTab(m_upstreams, tr("Upstreams"));
    m_tabs->addTab(m_globalRules, tr("Global rules"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_tabs);

    connect(m_add, &QPushButton::clicked, this, &RoutesPage::addRoute);
    connect(m_edit, &QPushButton::clicked, this, &RoutesPage::editSelected);
    connect(m_duplicate, &QPushButton::clicked, this, &RoutesPage::duplicateSelected);
    connect(m_delete, &QPushButton::clicked, this, &RoutesPage::deleteSelected);
    connect(m_toggle, &QPushButton::clicked, this, &RoutesPage::toggleSelected);
    connect(m_test, &QPushButton::clicked, this, &RoutesPage::testSelected);
    connect(m_view, &QTableView::activated, this, &RoutesPage::editSelected);
    connect(m_filter, &QLineEdit::textChanged, m_proxy, &QSortFilterProxyModel::setFilterFixedString);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &RoutesPage::updateActions);
    connect(m_model, &QAbstractItemModel::dataChanged, this, &RoutesPage::updateActions);
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, &RoutesPage::updateActions);
    connect(client, &EngineClient::resourcesChanged, this, [this](const QString &kind) {
        if (kind == QLatin1String("routes"))
            reloadRoutes();
    });
    connect(client, &EngineClient::statusUpdated, this, &RoutesPage::onStatus);

    m_catalog->loadNames();
    reloadRoutes();
    updateActions();
}

RoutesPage::~RoutesPage() = default;

void RoutesPage::reloadRoutes()
{
    m_client->adminGet(QByteArrayLiteral("/admin/routes"), this, [this](const ClientReply &reply) {
        if (!reply.isSuccess()) {
            setMessage(tr("Cannot load the routes: %1").arg(reply.errorText()), true);
            return;
        }
        m_model->setRoutes(reply.object().value(QStringLiteral("items")).toArray());
        if (!m_selectAfterReload.isEmpty() && selectRoute(m_selectAfterReload))
            m_selectAfterReload.clear();
        if (m_view->horizontalHeader()->sortIndicatorSection() < 0)
            m_view->resizeColumnsToContents();
        updateActions();
    });
}

void RoutesPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    refreshCounters();
}

void RoutesPage::onStatus(const EngineStatus &)
{
    // Nobody watches a hidden page; and /metrics is not worth more than one look per 2 s.
    if (!isVisible() || (m_countersSampled.isValid() && m_countersSampled.elapsed() < kCounterIntervalMs))
        return;
    refreshCounters();
}

void RoutesPage::refreshCounters()
{
    if (m_countersInFlight)
        return;
    m_countersInFlight = true;
    m_countersSampled.start();
    m_client->adminGet(QByteArrayLiteral("/metrics"), this, [this](const ClientReply &reply) {
        m_countersInFlight = false;
        if (reply.isSuccess())
            m_model->setCounters(RouteCounters::parse(reply.body));
    });
}

QString RoutesPage::selectedRouteId() const
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    return rows.size() != 1 ? QString() : rows.first().data(RouteTableModel::RouteIdRole).toString();
}

QStringList RoutesPage::selectedRouteIds() const
{
    QModelIndexList rows = m_view->selectionModel()->selectedRows();
    std::sort(rows.begin(), rows.end(), [](const QModelIndex &a, const QModelIndex &b) { return a.row() < b.row(); });
    QStringList ids;
    for (const QModelIndex &row : std::as_const(rows))
        ids.append(row.data(RouteTableModel::RouteIdRole).toString());
    return ids;
}

bool RoutesPage::selectRoute(const QString &id)
{
    const int row = m_model->rowOf(id);
    if (row < 0)
        return false;
    const QModelIndex index = m_proxy->mapFromSource(m_model->index(row, 0));
    if (!index.isValid())
        return false;   // filtered out
    m_view->selectRow(index.row());
    m_view->scrollTo(index);
    return true;
}

void RoutesPage::updateActions()
{
    const QStringList ids = selectedRouteIds();
    const qsizetype n = ids.size();
    for (QPushButton *b : {m_edit, m_duplicate, m_test})
        b->setEnabled(n == 1);
    m_delete->setEnabled(n > 0);
    m_toggle->setEnabled(n > 0);
    // Several: Disable while any of them is enabled, else Enable.
    bool anyEnabled = n == 0;
    for (const QString &id : ids)
        anyEnabled = anyEnabled || m_model->route(m_model->rowOf(id)).value(QStringLiteral("status")).toInt(1) != 0;
    m_delete->setText(n > 1 ? tr("&Delete %1").arg(n) : tr("&Delete"));
    m_toggle->setText(anyEnabled ? (n > 1 ? tr("Disa&ble %1").arg(n) : tr("Disa&ble")) : (n > 1 ? tr("Ena&ble %1").arg(n) : tr("Ena&ble")));
}

void RoutesPage::runBulk(const QStringList &ids, const QByteArray &method, const QByteArray &body, const QString &done)
{
    struct State
    {
        QStringList left;
        int ok = 0;
        QStringList failures;
    };
    auto state = std::make_shared<State>(State{ids, 0, {}});
    // The chain holds itself through the request in flight only (a weak reference otherwise):
    // it ends, and is freed, when the last answer is in or the page is gone.
    auto next = std::make_shared<std::function<void()>>();
    *next = [this, state, self = std::weak_ptr<std::function<void()>>(next), method, body, done, total = int(ids.size())] {
        if (state->left.isEmpty()) {
            if (state->failures.isEmpty())
                setMessage(done);
            else
                setMessage(tr("%1 of %2 done; %3").arg(state->ok).arg(total).arg(state->failures.join(QStringLiteral("; "))), true);
            return;
        }
        const QString id = state->left.takeFirst();
        m_client->admin(method, "/admin/routes/" + EngineClient::encode(id), body, this,
                        [state, again = self.lock(), id](const ClientReply &reply) {
            if (reply.isSuccess())
                ++state->ok;
            else
                state->failures.append(QStringLiteral("%1: %2").arg(id, reply.errorText()));
            (*again)();
        });
    };
    (*next)();
}

void RoutesPage::setMessage(const QString &text, bool error)
{
    m_message->setText(text);
    m_message->setStyleSheet(error ? QStringLiteral("color: #a00000") : QString());
}

void RoutesPage::openEditor(bool create, const QJsonObject &route)
{
    auto *dialog = new RouteEditorDialog(m_client, m_catalog, create ? RouteEditorDialog::Mode::Create : RouteEditorDialog::Mode::Edit,
                                         route, m_model->ids(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &RouteEditorDialog::saved, this, [this](const QString &id) {
        setMessage(tr("Route %1 saved.").arg(id));
        // Select it once the reload its change triggers has brought it in.
        if (!selectRoute(id))
            m_selectAfterReload = id;
    });
    dialog->open();
}

void RoutesPage::addRoute()
{
    openEditor(true, QJsonObject{{QStringLiteral("uri"), QStringLiteral("/")},
                                 {QStringLiteral("methods"), QJsonArray{QStringLiteral("GET")}},
                                 {QStringLiteral("upstream"), QJsonObject{{QStringLiteral("type"), QStringLiteral("events")}}}});
}

void RoutesPage::editSelected()
{
    const int row = m_model->rowOf(selectedRouteId());
    if (row >= 0)
        openEditor(false, m_model->route(row));
}

void RoutesPage::duplicateSelected()
{
    const int row = m_model->rowOf(selectedRouteId());
    if (row < 0)
        return;
    QJsonObject copy = m_model->route(row);
    const QString base = copy.value(QStringLiteral("id")).toString().left(58) + QStringLiteral("-copy");
    QString id = base;
    for (int n = 2; m_model->rowOf(id) >= 0; ++n)
        id = base + QString::number(n);
    copy.insert(QStringLiteral("id"), id);
    openEditor(true, copy);
}

void RoutesPage::deleteSelected()
{
    const QStringList ids = selectedRouteIds();
    if (ids.isEmpty())
        return;
    QString text;
    if (ids.size() == 1) {
        text = tr("Delete route %1? Requests it matches will get 404 (or another route).").arg(ids.first());
    } else {
        QStringList named = ids.mid(0, 10);
        if (ids.size() > named.size())
            named.append(tr("and %1 more").arg(ids.size() - named.size()));
        text = tr("Delete these %1 routes? Requests they match will get 404 (or another route).\n\n%2")
                   .arg(ids.size()).arg(named.join(QStringLiteral(", ")));
    }
    auto *confirm = new QMessageBox(QMessageBox::Question, tr("Delete route"), text, QMessageBox::Yes | QMessageBox::Cancel, this);
    confirm->setObjectName(QStringLiteral("routeDeleteConfirm"));
    confirm->setAttribute(Qt::WA_DeleteOnClose);
    connect(confirm, &QMessageBox::buttonClicked, this, [this, confirm, ids](QAbstractButton *clicked) {
        if (confirm->standardButton(clicked) != QMessageBox::Yes)
            return;
        if (ids.size() == 1) {
            const QString id = ids.first();
            m_client->admin(QByteArrayLiteral("DELETE"), "/admin/routes/" + EngineClient::encode(id), {}, this,
                            [this, id](const ClientReply &reply) {
                if (reply.isSuccess())
                    setMessage(tr("Route %1 deleted.").arg(id));
                else
                    setMessage(tr("Cannot delete %1: %2").arg(id, reply.errorText()), true);
            });
            return;
        }
        runBulk(ids, QByteArrayLiteral("DELETE"), {}, tr("%1 routes deleted.").arg(ids.size()));
    });
    confirm->open();
}

void RoutesPage::toggleSelected()
{
    const QStringList ids = selectedRouteIds();
    if (ids.isEmpty())
        return;
    bool anyEnabled = false;
    for (const QString &id : ids)
        anyEnabled = anyEnabled || m_model->route(m_model->rowOf(id)).value(QStringLiteral("status")).toInt(1) != 0;
    const bool enable = !anyEnabled;
    const QByteArray patch = enable ? QByteArrayLiteral("{\"status\":1}") : QByteArrayLiteral("{\"status\":0}");
    if (ids.size() > 1) {
        runBulk(ids, QByteArrayLiteral("PATCH"), patch, enable ? tr("%1 routes enabled.").arg(ids.size()) : tr("%1 routes disabled.").arg(ids.size()));
        return;
    }
    const QString id = ids.first();
    m_client->admin(QByteArrayLiteral("PATCH"), "/admin/routes/" + EngineClient::encode(id), patch, this,
                    [this, id, enable](const ClientReply &reply) {
        if (reply.isSuccess())
            setMessage(enable ? tr("Route %1 enabled.").arg(id) : tr("Route %1 disabled.").arg(id));
        else
            setMessage(tr("Cannot change %1: %2").arg(id, reply.errorText()), true);
    });
}

void RoutesPage::testSelected()
{
    const QJsonObject route = m_model->route(m_model->rowOf(selectedRouteId()));
    if (route.isEmpty())
        return;
    const QJsonArray methods = route.value(QStringLiteral("methods")).toArray();
    QString path = route.value(QStringLiteral("uri")).toString();
    if (path.endsWith(QLatin1Char('*')))
        path.chop(1);
    m_tester->setRequest(methods.isEmpty() ? QByteArrayLiteral("GET") : methods.first().toString().toLatin1(), path);
    m_tabs->setCurrentWidget(m_tester);
}

} // namespace Gatehouse::Ui
