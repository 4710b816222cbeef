#pragma once

#include "models/requesttesterhistorymodel.h"

#include <QElapsedTimer>
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
class QTableWidget;

namespace Gatehouse::Ui {

class EngineClient;

// Sends one HTTP request to the running gateway for real, over a socket to
// EngineClient::gatewayAddress() with QNetworkAccessManager, so it sees exactly what an
// outside client sees (routing, plugins, the HTTP server's own limits). The user picks the
// method, path, headers (an editable table) and body; the answer shows status, headers, body
// (pretty-printed when JSON) and the elapsed time. The last requests stay in a short history
// and can be loaded again. One request at a time; Send turns into Cancel while it runs.
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

Q_SIGNALS:
    void finished(int status);

private:
    QList<std::pair<QString, QString>> headers() const;
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
};

} // namespace Gatehouse::Ui
