#include "mainwindow.h"

#include "connectdialog.h"
#include "engineclient.h"
#include "pages/eventspage.h"
#include "pages/functionspage.h"
#include "pages/mqttpage.h"
#include "pages/overviewpage.h"
#include "pages/projectionspage.h"
#include "pages/readmodelspage.h"
#include "pages/routespage.h"
#include "pages/simulationpage.h"
#include "pages/streamspage.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDesktopServices>
#include <QFile>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QJsonObject>
#include <QLabel>
#include <QListWidget>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QScopedValueRollback>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QStyle>
#include <QUrl>
#include <QVBoxLayout>

namespace Gatehouse::Ui {

namespace {
constexpr auto kGeometryKey = "mainwindow/geometry";
constexpr auto kStateKey = "mainwindow/state";
constexpr auto kPageKey = "mainwindow/page";
}

QString MainWindow::pageTitle(Page page)
{
    switch (page) {
    case Overview: return tr("Overview");
    case Events: return tr("Events");
    case ReadModels: return tr("Read models");
    case Streams: return tr("Streams");
    case Routes: return tr("Routes");
    case Functions: return tr("Functions");
    case Projections: return tr("Projections");
    case Simulation: return tr("Simulation");
    case Mqtt: return tr("MQTT");
    case PageCount: break;
    }
    return {};
}

MainWindow::MainWindow(EngineClient *client, QWidget *parent)
    : QMainWindow(parent)
    , m_client(client)
{
    setWindowTitle(QStringLiteral("Gatehouse"));
    setObjectName(QStringLiteral("mainWindow"));

    m_sidebar = new QListWidget(this);
    m_sidebar->setObjectName(QStringLiteral("sidebar"));
    m_sidebar->setSelectionMode(QAbstractItemView::SingleSelection);
    m_sidebar->setUniformItemSizes(true);
    m_sidebar->setSpacing(3);
    m_sidebar->setIconSize(QSize(20, 20));
    m_stack = new QStackedWidget(this);
    m_stack->setObjectName(QStringLiteral("pages"));

    const QList<QWidget *> pages{
        new OverviewPage(client, m_stack),
        new EventsPage(client, m_stack),
        new ReadModelsPage(client, m_stack),
        new StreamsPage(client, m_stack),
        new RoutesPage(client, m_stack),
        new FunctionsPage(client, m_stack),
        new ProjectionsPage(client, m_stack),
        new SimulationPage(client, m_stack),
        new MqttPage(client, m_stack),
    };
    const QStyle::StandardPixmap icons[PageCount] = {
        QStyle::SP_ComputerIcon, QStyle::SP_FileDialogDetailedView, QStyle::SP_FileDialogListView,
        QStyle::SP_MediaSeekForward, QStyle::SP_DriveNetIcon, QStyle::SP_FileIcon, QStyle::SP_BrowserReload,
        QStyle::SP_MediaPlay, QStyle::SP_DriveNetIcon,
    };
    for (int i = 0; i < PageCount; ++i) {
        m_sidebar->addItem(new QListWidgetItem(style()->standardIcon(icons[i]), pageTitle(Page(i))));
        m_stack->addWidget(pages.at(i));
    }
    m_sidebar->setFixedWidth(m_sidebar->sizeHintForColumn(0) + 2 * m_sidebar->frameWidth() + 24);
    connect(m_sidebar, &QListWidget::currentRowChanged, m_stack, &QStackedWidget::setCurrentIndex);
    connect(m_sidebar, &QListWidget::currentRowChanged, this, [this](int row) {
        if (!m_applying && row >= 0) {
            m_history.visit(Location::ofPage(row));
            updateNavigation();
        }
    });
    // Links between pages: an event to its stream, a document to its history, a dead letter
    // to its event, a box of the diagram to its page.
    connect(static_cast<OverviewPage *>(pages.at(Overview)), &OverviewPage::openRequested, this, &MainWindow::open);
    connect(static_cast<EventsPage *>(pages.at(Events)), &EventsPage::openRequested, this, &MainWindow::open);
    connect(static_cast<ReadModelsPage *>(pages.at(ReadModels)), &ReadModelsPage::openRequested, this, &MainWindow::open);
    connect(static_cast<StreamsPage *>(pages.at(Streams)), &StreamsPage::openRequested, this, &MainWindow::open);
    connect(static_cast<FunctionsPage *>(pages.at(Functions)), &FunctionsPage::openRequested, this, &MainWindow::open);
    connect(static_cast<ProjectionsPage *>(pages.at(Projections)), &ProjectionsPage::openRequested, this, &MainWindow::open);

    // Over the pages while a remote engine is out of reach: they keep what they show.
    m_stale = new QLabel(this);
    m_stale->setObjectName(QStringLiteral("staleBanner"));
    m_stale->setWordWrap(true);
    m_stale->setContentsMargins(10, 6, 10, 6);
    m_stale->setStyleSheet(QStringLiteral("QLabel { background: #fff4ce; color: #4d3b00; border-bottom: 1px solid #e0c060; }"));
    m_stale->hide();
    auto *right = new QWidget(this);
    auto *rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->setSpacing(0);
    rightLayout->addWidget(m_stale);
    rightLayout->addWidget(m_stack, 1);

    auto *central = new QWidget(this);
    auto *layout = new QHBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(m_sidebar);
    layout->addWidget(right, 1);
    setCentralWidget(central);

    // Status bar: where the engine listens, MQTT, the log, and the slowest projection.
    m_gateway = new QLabel(tr("Gateway %1 · admin %2").arg(client->gatewayUrl(), client->adminUrl()), this);
    m_gateway->setObjectName(QStringLiteral("statusAddresses"));
    m_gateway->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_mqtt = new QLabel(this);
    m_mqtt->setObjectName(QStringLiteral("statusMqtt"));
    m_events = new QLabel(this);
    m_events->setObjectName(QStringLiteral("eventCount"));
    m_lag = new QLabel(this);
    m_lag->setObjectName(QStringLiteral("statusLag"));
    m_connection = new QLabel(this);
    m_connection->setObjectName(QStringLiteral("statusConnection"));
    for (QLabel *label : {m_connection, m_gateway, m_mqtt, m_events, m_lag})
        label->setContentsMargins(8, 0, 8, 0);
    statusBar()->addWidget(m_connection);
    statusBar()->addWidget(m_gateway, 1);
    statusBar()->addPermanentWidget(m_mqtt);
    statusBar()->addPermanentWidget(m_events);
    statusBar()->addPermanentWidget(m_lag);
    connect(client, &EngineClient::statusUpdated, this, &MainWindow::updateStatus);
    updateStatus(client->status());
    connect(client, &EngineClient::connectionChanged, this, &MainWindow::updateConnection);
    updateConnection();

    createMenus();

    resize(1200, 780);
    QSettings settings;
    restoreGeometry(settings.value(QLatin1String(kGeometryKey)).toByteArray());
    restoreState(settings.value(QLatin1String(kStateKey)).toByteArray());
    const int last = settings.value(QLatin1String(kPageKey), int(Overview)).toInt();
    showPage(last >= 0 && last < PageCount ? Page(last) : Overview);
    m_history.visit(Location::ofPage(int(currentPage())));
    updateNavigation();
}

MainWindow::~MainWindow() = default;

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *import = file->addAction(tr("&Import project…"), this, &MainWindow::importProject);
    import->setObjectName(QStringLiteral("actionImport"));
    import->setShortcut(QKeySequence::Open);
    QAction *exportJson = file->addAction(tr("&Export project…"), this, [this] { exportProject(false); });
    exportJson->setObjectName(QStringLiteral("actionExport"));
    exportJson->setShortcut(QKeySequence::Save);
    QAction *exportYaml = file->addAction(tr("Export &APISIX YAML…"), this, [this] { exportProject(true); });
    exportYaml->setObjectName(QStringLiteral("actionExportApisix"));
    file->addSeparator();
    QAction *connectAction = file->addAction(tr("&Connect to engine…"), this, &MainWindow::connectToEngine);
    connectAction->setObjectName(QStringLiteral("actionConnect"));
    connectAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);
    quit->setMenuRole(QAction::QuitRole);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    for (int i = 0; i < PageCount; ++i) {
        QAction *a = view->addAction(pageTitle(Page(i)), this, [this, i] { showPage(Page(i)); });
        a->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + i)));
        a->setObjectName(QStringLiteral("actionPage%1").arg(i + 1));
    }

    QMenu *go = menuBar()->addMenu(tr("&Go"));
    m_back = go->addAction(style()->standardIcon(QStyle::SP_ArrowBack), tr("&Back"), this, &MainWindow::goBack);
    m_back->setObjectName(QStringLiteral("actionBack"));
    m_back->setShortcuts({QKeySequence(Qt::ALT | Qt::Key_Left), QKeySequence(Qt::Key_Back)});
    m_forward = go->addAction(style()->standardIcon(QStyle::SP_ArrowForward), tr("&Forward"), this, &MainWindow::goForward);
    m_forward->setObjectName(QStringLiteral("actionForward"));
    m_forward->setShortcuts({QKeySequence(Qt::ALT | Qt::Key_Right), QKeySequence(Qt::Key_Forward)});
    for (QAction *a : {m_back, m_forward})
        a->setShortcutContext(Qt::ApplicationShortcut);

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    QAction *dataFolder = help->addAction(tr("Open &data folder"), this, [this] {
        QDesktopServices::openUrl(QUrl::fromLocalFile(m_client->dataDirectory()));
    });
    dataFolder->setEnabled(!m_client->dataDirectory().isEmpty());
    QAction *aboutAction = help->addAction(tr("&About Gatehouse"), this, &MainWindow::about);
    aboutAction->setMenuRole(QAction::AboutRole);
    help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
}

void MainWindow::open(const Location &location)
{
    m_history.visit(location);
    apply(location);
    updateNavigation();
}

void MainWindow::goBack()
{
    if (!m_history.canGoBack())
        return;
    apply(m_history.back());
    updateNavigation();
}

void MainWindow::goForward()
{
    if (!m_history.canGoForward())
        return;
    apply(m_history.forward());
    updateNavigation();
}

void MainWindow::apply(const Location &location)
{
    const QScopedValueRollback<bool> applying(m_applying, true);
    const Page target = location.page >= 0 && location.page < PageCount ? Page(location.page) : Overview;
    showPage(target);
    switch (location.kind) {
    case Location::Kind::Page:
        break;
    case Location::Kind::Event:
        static_cast<EventsPage *>(page(Events))->followLink(location.id);
        break;
    case Location::Kind::Stream:
        static_cast<StreamsPage *>(page(Streams))->openStream(location.collection, location.id, location.position);
        break;
    case Location::Kind::Document:
        static_cast<ReadModelsPage *>(page(ReadModels))->openDocument(location.collection, location.id);
        break;
    case Location::Kind::Function:
        static_cast<FunctionsPage *>(page(Functions))->openFunction(location.id);
        break;
    case Location::Kind::DeadLetter:
        static_cast<FunctionsPage *>(page(Functions))->openDeadLetter(location.id);
        break;
    case Location::Kind::DeadLettersOfEvent:
        static_cast<FunctionsPage *>(page(Functions))->openDeadLettersOfEvent(location.id);
        break;
    }
}

void MainWindow::updateNavigation()
{
    if (!m_back)
        return;
    m_back->setEnabled(m_history.canGoBack());
    m_forward->setEnabled(m_history.canGoForward());
    m_back->setToolTip(m_history.previous() ? tr("Back to %1").arg(m_history.previous()->description()) : tr("Back"));
    m_forward->setToolTip(m_history.next() ? tr("Forward to %1").arg(m_history.next()->description()) : tr("Forward"));
    m_back->setStatusTip(m_back->toolTip());
    m_forward->setStatusTip(m_forward->toolTip());
}

void MainWindow::showPage(Page page)
{
    m_sidebar->setCurrentRow(int(page));
    m_stack->setCurrentIndex(int(page));
}

MainWindow::Page MainWindow::currentPage() const
{
    return Page(m_stack->currentIndex());
}

QWidget *MainWindow::page(Page page) const
{
    return m_stack->widget(int(page));
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings settings;
    settings.setValue(QLatin1String(kGeometryKey), saveGeometry());
    settings.setValue(QLatin1String(kStateKey), saveState());
    settings.setValue(QLatin1String(kPageKey), int(currentPage()));
    QMainWindow::closeEvent(event);
}

void MainWindow::connectToEngine()
{
    ConnectDialog dialog(this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    const RemoteEngineClient::Options options = dialog.options();
    MainWindow *window = ConnectDialog::openConsole(options);
    if (dialog.remember()) {
        ConnectDialog::saveConnection(options, window, [window](const QString &error) {
            if (!error.isEmpty())
                window->statusBar()->showMessage(tr("The connection is remembered, its key is not (no keychain: %1)").arg(error), 15000);
        });
    }
}

void MainWindow::updateConnection()
{
    const EngineClient::Connection state = m_client->connection();
    const bool remote = state != EngineClient::Connection::Local;
    m_connection->setVisible(remote);
    m_gateway->setText(tr("Gateway %1 · admin %2").arg(m_client->gatewayUrl().isEmpty() ? tr("(not known yet)") : m_client->gatewayUrl(),
                                                      m_client->adminUrl()));
    if (!remote)
        return;
    setWindowTitle(tr("Gatehouse — %1").arg(m_client->adminAddress()));
    const QString text = m_client->connectionText();
    m_connection->setToolTip(text);
    switch (state) {
    case EngineClient::Connection::Connected:
        m_connection->setText(tr("● connected"));
        m_connection->setStyleSheet(QStringLiteral("QLabel { color: #1a7f37; }"));
        m_stale->hide();
        m_staleSinceMs = 0;
        return;
    case EngineClient::Connection::Refused:
        m_connection->setText(tr("● refused"));
        break;
    case EngineClient::Connection::Connecting:
        m_connection->setText(tr("● connecting"));
        break;
    default:
        m_connection->setText(tr("● disconnected"));
        break;
    }
    m_connection->setStyleSheet(QStringLiteral("QLabel { color: #b42318; }"));
    if (state == EngineClient::Connection::Connecting && m_staleSinceMs == 0 && m_client->status().sampledAtMs == 0) {
        m_stale->setText(text);   // nothing shown yet: nothing stale either
    } else {
        if (m_staleSinceMs == 0)
            m_staleSinceMs = QDateTime::currentMSecsSinceEpoch();
        m_stale->setText(tr("What is shown is from %1 and may be stale: %2.")
                             .arg(QLocale().toString(QDateTime::fromMSecsSinceEpoch(m_staleSinceMs).time(), QLocale::ShortFormat), text));
    }
    m_stale->show();
}

void MainWindow::updateStatus(const EngineStatus &status)
{
    // Dead letters waiting: counted on the Functions item of the sidebar.
    if (QListWidgetItem *functions = m_sidebar->item(Functions)) {
        const QString text = status.deadLetters > 0 ? tr("%1 (%2)").arg(pageTitle(Functions)).arg(status.deadLetters) : pageTitle(Functions);
        if (functions->text() != text) {
            functions->setText(text);
            functions->setToolTip(status.deadLetters > 0 ? tr("Dead letters waiting for replay or skip: %1").arg(status.deadLetters)
                                                        : QString());
            m_sidebar->setFixedWidth(qMax(m_sidebar->width(), m_sidebar->sizeHintForColumn(0) + 2 * m_sidebar->frameWidth() + 24));
        }
    }
    QString mqtt;
    if (!status.mqttEnabled)
        mqtt = tr("MQTT: %1").arg(status.mqttBroker.isEmpty() ? tr("off") : status.mqttBroker);
    else
        mqtt = tr("MQTT %1: %2").arg(status.mqttBroker, status.mqttConnected ? tr("connected") : tr("disconnected"));
    m_mqtt->setText(mqtt);
    m_mqtt->setToolTip(mqtt);
    if (m_shownCount != status.headPosition) {
        m_shownCount = status.headPosition;
        m_events->setText(tr("%1 events").arg(QLocale().toString(m_shownCount)));
    }
    if (status.worstLagProjection.isEmpty()) {
        m_lag->setText(status.projectionFaults > 0 ? tr("projections: %n faulted", nullptr, status.projectionFaults)
                                                   : tr("projections current"));
    } else {
        m_lag->setText(tr("lag: %1 %2 events (%3 ms)")
                           .arg(status.worstLagProjection, QLocale().toString(status.worstLagEvents))
                           .arg(status.worstLagMs));
    }
}

void MainWindow::importProject()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Import project"), {},
                                                      tr("Gatehouse or APISIX configuration (*.json *.yaml *.yml);;All files (*)"));
    if (path.isEmpty())
        return;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        QMessageBox::warning(this, tr("Import project"), tr("Cannot read %1: %2").arg(path, file.errorString()));
        return;
    }
    if (QMessageBox::question(this, tr("Import project"),
                              tr("Replace every route, upstream, consumer and global rule with those in %1?").arg(path))
        != QMessageBox::Yes)
        return;
    m_client->admin(QByteArrayLiteral("PUT"), QByteArrayLiteral("/admin/config"), file.readAll(), this, [this, path](const ClientReply &reply) {
        if (!reply.isSuccess()) {
            QMessageBox::warning(this, tr("Import project"), tr("%1 was not imported.\n\n%2").arg(path, reply.errorText()));
            return;
        }
        statusBar()->showMessage(tr("Imported %1 (configuration version %2)")
                                     .arg(path).arg(reply.object().value(QStringLiteral("config_version")).toInteger()), 5000);
    });
}

void MainWindow::exportProject(bool apisix)
{
    const QString path = QFileDialog::getSaveFileName(this, apisix ? tr("Export APISIX YAML") : tr("Export project"),
                                                      apisix ? QStringLiteral("apisix.yaml") : QStringLiteral("gatehouse-project.json"),
                                                      apisix ? tr("YAML (*.yaml *.yml)") : tr("JSON (*.json)"));
    if (path.isEmpty())
        return;
    const QByteArray target = apisix ? "/admin/config/export?format=apisix&engine_address=" + EngineClient::encode(m_client->gatewayAddress())
                                     : QByteArrayLiteral("/admin/config/export?format=json");
    m_client->adminGet(target, this, [this, path](const ClientReply &reply) {
        if (!reply.isSuccess()) {
            QMessageBox::warning(this, tr("Export"), reply.errorText());
            return;
        }
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(reply.body) != reply.body.size()) {
            QMessageBox::warning(this, tr("Export"), tr("Cannot write %1: %2").arg(path, file.errorString()));
            return;
        }
        statusBar()->showMessage(tr("Exported to %1").arg(path), 5000);
    });
}

void MainWindow::about()
{
    QMessageBox::about(this, tr("About Gatehouse"),
                       tr("<h3>Gatehouse %1</h3><p>Event-driven API services: CQRS, event sourcing, an API gateway "
                          "and serverless functions, with this console to watch and steer them.</p>"
                          "<p>Gateway: %2<br>Admin API: %3<br>Data: %4</p>")
                           .arg(QCoreApplication::applicationVersion(), m_client->gatewayUrl(),
                                m_client->adminUrl(), m_client->dataDirectory().toHtmlEscaped()));
}

} // namespace Gatehouse::Ui
