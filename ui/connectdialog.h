#pragma once

#include "remoteengineclient.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;

namespace Gatehouse::Ui {

class MainWindow;

// File → Connect to engine…: the admin URL of an engine running elsewhere (`gatehouse
// --headless`), its admin key, and the certificate to trust when it is not signed by an
// authority the system knows. Connections are remembered by URL (QSettings); their keys only
// in the desktop's keychain (QtKeychain: the Secret Service, KWallet), never in a file. When
// no keychain answers, the key is not kept and the dialog says so.
class ConnectDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConnectDialog)

public:
    explicit ConnectDialog(QWidget *parent = nullptr);
    ~ConnectDialog() override;

    void setUrl(const QString &url);   // and what is saved for it
    RemoteEngineClient::Options options() const;
    bool remember() const;

    // The saved connections' URLs, most recent first.
    static QStringList savedConnections();
    // Remembers url and CA file; the key goes to the keychain, asynchronously. `done` gets an
    // empty string on success, else why the key was not kept.
    static void saveConnection(const RemoteEngineClient::Options &options, QObject *context,
                               std::function<void(const QString &error)> done);
    static void forgetConnection(const QString &url);
    static QString savedCaFile(const QString &url);
    // The key saved for url, asynchronously (empty when there is none or no keychain).
    static void readKey(const QString &url, QObject *context, std::function<void(const QByteArray &key, const QString &error)> done);

    // A new console window on a remote engine; it owns its client and deletes itself on close.
    static MainWindow *openConsole(const RemoteEngineClient::Options &options);

    void accept() override;

private:
    void loadSaved(const QString &url);
    void browseCa();

    QComboBox *m_saved;
    QLineEdit *m_url;
    QLineEdit *m_key;
    QLineEdit *m_ca;
    QCheckBox *m_remember;
    QLabel *m_message;
};

} // namespace Gatehouse::Ui
