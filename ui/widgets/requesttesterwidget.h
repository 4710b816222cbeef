#pragma once

#include "models/requesttesterhistorymodel.h"

#include <QElapsedTimer>
#include <QHash>
#include <QJsonObject>
#include <QMap>
#include <QPointer>
#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QListView;
class QNetworkAccessManager;
class QNetworkReply;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace Gatehouse::Ui {

class EngineClient;

// Sends one HTTP request to the running gateway for real, over a socket to
// EngineClient::gatewayAddress() with QNetworkAccessManager, so it sees exactly what an
// outside client sees (routing, plugins, the HTTP server's own limits). The user picks the
// method, path, headers (an editable table) and body; the answer shows status, headers, body
// (pretty-printed when JSON) and the elapsed time. The last requests stay in a short history
// and can be loaded again. One request at a time; Send turns into Cancel while it runs.
//
// A path with `:params` (as routes write them) gets a field for each, filled in on sending.
// Credentials puts a consumer's login headers into the table (key-auth, basic-auth, or a
// jwt-auth token signed here). Repeat sends the same request N times, one after the other,
// and sums up the statuses and times. Copy as curl puts the request on the clipboard as a curl
// command. Saved requests (name, method, path, headers, body) stay between sessions.
// Lives on the GUI thread.
class RequestTesterWidget final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RequestTesterWidget)

public:
    explicit RequestTesterWidget(EngineClient *client, QWidget *parent = nullptr);
    ~RequestTesterWidget() override;

    // Fills the request form (headers replaced, body cleared unless given).
    void setRequest(const QByteArray &method, const QString &path, const QList<std::pair<QString, QString>> &headers = {},
                    const QByteArray &body = {});
    void send();
    bool isBusy() const;
    int lastStatus() const { return m_lastStatus; }
    RequestTesterHistoryModel *history() const { return m_history; }

    QStringList pathParams() const;                 // the :params of the path, in order
    void setParam(const QString &name, const QString &value);
    QString resolvedPath(QString *missing = nullptr) const;   // the path with its params filled in
    QString curlCommand() const;
    void copyAsCurl();
    bool applyCredentials(const QString &username);   // false (and a message) when it has none usable
    void setRepeat(int times);
    void saveRequest(const QString &name);
    bool loadSaved(const QString &name);
    void deleteSaved(const QString &name);
    QStringList savedNames() const;
    QString summary() const;   // of the last send (with repeats)

Q_SIGNALS:
    void finished(int status);

protected:
    void showEvent(QShowEvent *event) override;

private:
    QList<std::pair<QString, QString>> headers() const;
    void updateParams();
    void reloadConsumers();
    void reloadSaved();
    void sendOne();
    void setHeader(const QString &name, const QString &value);
    void addHeaderRow(const QString &name = {}, const QString &value = {});
    void onFinished(QNetworkReply *reply);
    void loadFromHistory(int row);
    void setBusy(bool busy);

    EngineClient *m_client;
    QNetworkAccessManager *m_network;
    RequestTesterHistoryModel *m_history;
    QPointer<QNetworkReply> m_reply;
    QElapsedTimer m_timer;
    RequestTesterEntry m_sent;   // the request in flight
    int m_lastStatus = -1;
    int m_repeatLeft = 0;              // sends still to go of this Send
    QMap<int, int> m_repeatStatuses;   // status -> how many, of this Send
    QList<double> m_repeatMs;
    QString m_summary;
    QHash<QString, QString> m_paramValues;
    QHash<QString, QJsonObject> m_consumers;   // by username

    QComboBox *m_method = nullptr;
    QLineEdit *m_path = nullptr;
    QPushButton *m_send = nullptr;
    QTableWidget *m_headers = nullptr;
    QPlainTextEdit *m_body = nullptr;
    QLabel *m_status = nullptr;
    QLabel *m_elapsed = nullptr;
    QTableWidget *m_responseHeaders = nullptr;
    QPlainTextEdit *m_responseBody = nullptr;
    QListView *m_historyView = nullptr;
    QWidget *m_params = nullptr;
    QComboBox *m_consumer = nullptr;
    QSpinBox *m_repeat = nullptr;
    QComboBox *m_saved = nullptr;
};

} // namespace Gatehouse::Ui
