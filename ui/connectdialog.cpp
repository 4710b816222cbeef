#include "connectdialog.h"

#include "mainwindow.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QPushButton>
#include <QSettings>
#include <QVBoxLayout>

#include <qt6keychain/keychain.h>

namespace Gatehouse::Ui {

namespace {
constexpr const char *kKeychainService = "Gatehouse admin keys";
constexpr const char *kConnectionsKey = "connections/recent";   // list of URLs
constexpr const char *kCaKey = "connections/ca/";                // + URL (percent-encoded)
constexpr int kMaxSaved = 20;

QString caSetting(const QString &url)
{
    return QLatin1String(kCaKey) + QString::fromLatin1(QUrl::toPercentEncoding(url));
}
} // namespace

ConnectDialog::ConnectDialog(QWidget *parent)
    : QDialog(parent)
{
    setWindowTitle(tr("Connect to engine"));
    setObjectName(QStringLiteral("connectDialog"));
    m_saved = new QComboBox(this);
    m_saved->setObjectName(QStringLiteral("savedConnections"));
    m_saved->addItem(tr("New connection"));
    for (const QString &url : savedConnections())
        m_saved->addItem(url, url);
    m_url = new QLineEdit(this);
    m_url->setObjectName(QStringLiteral("engineUrl"));
    m_url->setPlaceholderText(QStringLiteral("https://engine.example:9180"));
    m_key = new QLineEdit(this);
    m_key->setObjectName(QStringLiteral("adminKey"));
    m_key->setEchoMode(QLineEdit::Password);
    m_key->setPlaceholderText(tr("the engine's admin key (X-API-KEY)"));
    m_ca = new QLineEdit(this);
    m_ca->setObjectName(QStringLiteral("caFile"));
    m_ca->setPlaceholderText(tr("optional: PEM certificate to trust (a self-signed engine's)"));
    auto *browse = new QPushButton(tr("Browse…"), this);
    connect(browse, &QPushButton::clicked, this, &ConnectDialog::browseCa);
    auto *caRow = new QHBoxLayout;
    caRow->addWidget(m_ca, 1);
    caRow->addWidget(browse);
    m_remember = new QCheckBox(tr("Remember this connection (the key in the desktop's keychain)"), this);
    m_remember->setObjectName(QStringLiteral("rememberConnection"));
    m_remember->setChecked(true);
    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("connectMessage"));
    m_message->setWordWrap(true);
    m_message->setStyleSheet(QStringLiteral("QLabel { color: #b42318; }"));
    m_message->hide();

    auto *form = new QFormLayout;
    form->addRow(tr("&Saved:"), m_saved);
    form->addRow(tr("Engine &URL:"), m_url);
    form->addRow(tr("Admin &key:"), m_key);
    auto *caLabel = new QLabel(tr("&Trust certificate:"), this);   // a row of two: the label needs its buddy named
    caLabel->setBuddy(m_ca);
    form->addRow(caLabel, caRow);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Connect"));
    connect(buttons, &QDialogButtonBox::accepted, this, &ConnectDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &ConnectDialog::reject);
    auto *layout = new QVBoxLayout(this);
    auto *intro = new QLabel(tr("Attach a console to an engine running elsewhere (gatehouse --headless). "
                                "Give the address of its admin listener."), this);
    intro->setWordWrap(true);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addWidget(m_remember);
    layout->addWidget(m_message);
    layout->addWidget(buttons);
    connect(m_saved, &QComboBox::currentIndexChanged, this, [this](int index) {
        if (index > 0)
            loadSaved(m_saved->itemData(index).toString());
    });
    resize(560, sizeHint().height());
}

ConnectDialog::~ConnectDialog() = default;

void ConnectDialog::setUrl(const QString &typed)
{
    const QString url = RemoteEngineClient::normalizedUrl(typed);
    const int index = m_saved->findData(url);
    if (index > 0)
        m_saved->setCurrentIndex(index);   // loads what is saved
    else
        m_url->setText(url);
}

void ConnectDialog::loadSaved(const QString &url)
{
    m_url->setText(url);
    m_ca->setText(QSettings().value(caSetting(url)).toString());
    m_key->clear();
    readKey(url, this, [this, url](const QByteArray &key, const QString &error) {
        if (m_url->text() != url)
            return;
        if (!key.isEmpty() && m_key->text().isEmpty())
            m_key->setText(QString::fromUtf8(key));
        else if (!error.isEmpty()) {
            m_message->setText(tr("The saved key could not be read from the keychain: %1").arg(error));
            m_message->show();
        }
    });
}

void ConnectDialog::browseCa()
{
    const QString file = QFileDialog::getOpenFileName(this, tr("Certificate to trust"), m_ca->text(),
                                                      tr("PEM certificates (*.pem *.crt *.cer);;All files (*)"));
    if (!file.isEmpty())
        m_ca->setText(file);
}

RemoteEngineClient::Options ConnectDialog::options() const
{
    RemoteEngineClient::Options o;
    o.adminUrl = QUrl(RemoteEngineClient::normalizedUrl(m_url->text()), QUrl::StrictMode);
    o.adminKey = m_key->text().toUtf8();
    o.caFile = m_ca->text().trimmed();
    return o;
}

bool ConnectDialog::remember() const
{
    return m_remember->isChecked();
}

void ConnectDialog::accept()
{
    QString error;
    if (!RemoteEngineClient::validate(options(), &error)) {
        m_message->setText(error);
        m_message->show();
        return;
    }
    QDialog::accept();
}

QStringList ConnectDialog::savedConnections()
{
    return QSettings().value(QLatin1String(kConnectionsKey)).toStringList();
}

void ConnectDialog::saveConnection(const RemoteEngineClient::Options &options, QObject *context,
                                   std::function<void(const QString &error)> done)
{
    const QString url = options.adminUrl.toString();
    QSettings settings;
    QStringList recent = settings.value(QLatin1String(kConnectionsKey)).toStringList();
    recent.removeAll(url);
    recent.prepend(url);
    while (recent.size() > kMaxSaved) {
        const QString evicted = recent.takeLast();
        settings.remove(caSetting(evicted));
        auto *forget = new QKeychain::DeletePasswordJob(QLatin1String(kKeychainService));   // its key goes with it
        forget->setAutoDelete(true);
        forget->setKey(evicted);
        forget->start();
    }
    settings.setValue(QLatin1String(kConnectionsKey), recent);
    settings.setValue(caSetting(url), options.caFile);

    auto *job = new QKeychain::WritePasswordJob(QLatin1String(kKeychainService));
    job->setAutoDelete(true);
    job->setInsecureFallback(false);   // a key in a plain file is worse than typing it again
    job->setKey(url);
    job->setBinaryData(options.adminKey);
    QPointer<QObject> guard(context);
    QObject::connect(job, &QKeychain::Job::finished, context, [guard, done = std::move(done)](QKeychain::Job *finished) {
        if (guard)
            done(finished->error() == QKeychain::NoError ? QString() : finished->errorString());
    });
    job->start();
}

QString ConnectDialog::savedCaFile(const QString &url)
{
    return QSettings().value(caSetting(url)).toString();
}

void ConnectDialog::forgetConnection(const QString &url)
{
    QSettings settings;
    QStringList recent = settings.value(QLatin1String(kConnectionsKey)).toStringList();
    recent.removeAll(url);
    settings.setValue(QLatin1String(kConnectionsKey), recent);
    settings.remove(caSetting(url));
    auto *job = new QKeychain::DeletePasswordJob(QLatin1String(kKeychainService));
    job->setAutoDelete(true);
    job->setKey(url);
    job->start();
}

void ConnectDialog::readKey(const QString &url, QObject *context, std::function<void(const QByteArray &, const QString &)> done)
{
    auto *job = new QKeychain::ReadPasswordJob(QLatin1String(kKeychainService));
    job->setAutoDelete(true);
    job->setKey(url);
    QPointer<QObject> guard(context);
    QObject::connect(job, &QKeychain::Job::finished, context, [guard, done = std::move(done)](QKeychain::Job *finished) {
        if (!guard)
            return;
        auto *read = static_cast<QKeychain::ReadPasswordJob *>(finished);
        if (read->error() == QKeychain::NoError)
            done(read->binaryData(), {});
        else if (read->error() == QKeychain::EntryNotFound)
            done({}, {});
        else
            done({}, read->errorString());
    });
    job->start();
}

MainWindow *ConnectDialog::openConsole(const RemoteEngineClient::Options &options)
{
    auto *client = new RemoteEngineClient(options);
    auto *window = new MainWindow(client);
    client->setParent(window);   // after the pages: they go first
    window->setAttribute(Qt::WA_DeleteOnClose);
    window->show();
    return window;
}

} // namespace Gatehouse::Ui
