#include "mainwindow.h"

#include "engine.h"

#include <QFormLayout>
#include <QLabel>
#include <QLocale>
#include <QStatusBar>
#include <QTimer>

namespace Gatehouse::Ui {

MainWindow::MainWindow(Engine *engine, const QString &gatewayAddress, const QString &adminAddress, QWidget *parent)
    : QMainWindow(parent)
    , m_engine(engine)
{
    setWindowTitle(QStringLiteral("Gatehouse"));
    auto *central = new QWidget(this);
    auto *form = new QFormLayout(central);
    form->addRow(tr("Gateway:"), new QLabel(QStringLiteral("http://") + gatewayAddress, central));
    form->addRow(tr("Admin API:"), new QLabel(QStringLiteral("http://") + adminAddress, central));
    form->addRow(tr("Data directory:"), new QLabel(engine->options().dataDir, central));
    m_events = new QLabel(central);
    m_events->setObjectName(QStringLiteral("eventCount"));
    form->addRow(tr("Events in the log:"), m_events);
    setCentralWidget(central);
    statusBar()->showMessage(tr("Gateway %1 · admin %2").arg(gatewayAddress, adminAddress));
    resize(560, 200);

    // Coalesce: a flood of commits schedules one refresh per 100 ms at most.
    m_throttle = new QTimer(this);
    m_throttle->setSingleShot(true);
    m_throttle->setInterval(100);
    connect(m_throttle, &QTimer::timeout, this, &MainWindow::refresh);
    connect(engine->eventStore(), &EventStore::eventsCommitted, this, [this] {
        if (!m_throttle->isActive())
            m_throttle->start();
    }, Qt::QueuedConnection);
    refresh();
}

MainWindow::~MainWindow() = default;

void MainWindow::refresh()
{
    m_shownCount = m_engine->eventStore() ? m_engine->eventStore()->eventCount() : 0;
    m_events->setText(QLocale().toString(m_shownCount));
}

} // namespace Gatehouse::Ui
