#include "requesttesterwidget.h"

#include "engineclient.h"
#include "models/requesttesterhistorymodel.h"

#include <QComboBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QHostAddress>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QLocale>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QUrl>
#include <QVBoxLayout>

namespace Gatehouse::Ui {

namespace {
constexpr int kTransferTimeoutMs = 30000;
constexpr qsizetype kShownBodyLimit = 1024 * 1024;

QTableWidget *headerTable(QWidget *parent, const char *name)
{
    auto *table = new QTableWidget(0, 2, parent);
    table->setObjectName(QLatin1String(name));
    table->setHorizontalHeaderLabels({QObject::tr("Name"), QObject::tr("Value")});
    table->horizontalHeader()->setStretchLastSection(true);
    table->verticalHeader()->hide();
    table->verticalHeader()->setDefaultSectionSize(table->fontMetrics().height() + 6);
    return table;
}

QString prettyBody(const QByteArray &body)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &error);
    if (error.error == QJsonParseError::NoError && (doc.isObject() || doc.isArray()))
        return QString::fromUtf8(doc.toJson(QJsonDocument::Indented));
    QString text = QString::fromUtf8(body.left(kShownBodyLimit));
    if (body.size() > kShownBodyLimit)
        text += QObject::tr("\n… (%1 bytes in all)").arg(body.size());
    return text;
}
} // namespace

RequestTesterWidget::RequestTesterWidget(EngineClient *client, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
    , m_network(new QNetworkAccessManager(this))
    , m_history(new RequestTesterHistoryModel(20, this))
{
    setObjectName(QStringLiteral("requestTester"));
    // The local gateway must never be reached through a proxy from the environment.
    const QString host = client->gatewayAddress().section(QLatin1Char(':'), 0, -2);
    if (QHostAddress(host).isLoopback() || host == QLatin1String("localhost"))
        m_network->setProxy(QNetworkProxy::NoProxy);

    m_method = new QComboBox(this);
    m_method->setObjectName(QStringLiteral("requestTesterMethod"));
    m_method->setEditable(true);
    m_method->addItems({QStringLiteral("GET"), QStringLiteral("POST"), QStringLiteral("PUT"), QStringLiteral("PATCH"),
                        QStringLiteral("DELETE"), QStringLiteral("HEAD"), QStringLiteral("OPTIONS")});
    auto *base = new QLabel(QStringLiteral("http://") + client->gatewayAddress(), this);
    base->setObjectName(QStringLiteral("requestTesterBase"));
    m_path = new QLineEdit(QStringLiteral("/"), this);
    m_path->setObjectName(QStringLiteral("requestTesterPath"));
    m_send = new QPushButton(tr("&Send"), this);
    m_send->setObjectName(QStringLiteral("requestTesterSend"));
    m_send->setDefault(true);
    auto *top = new QHBoxLayout;
    top->addWidget(m_method);
    top->addWidget(base);
    top->addWidget(m_path, 1);
    top->addWidget(m_send);

    // Request: headers and body.
    m_headers = headerTable(this, "requestTesterHeaders");
    auto *addHeader = new QPushButton(tr("Add header"), this);
    addHeader->setObjectName(QStringLiteral("requestTesterAddHeader"));
    auto *removeHeader = new QPushButton(tr("Remove header"), this);
    removeHeader->setObjectName(QStringLiteral("requestTesterRemoveHeader"));
    m_body = new QPlainTextEdit(this);
    m_body->setObjectName(QStringLiteral("requestTesterBody"));
    m_body->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_body->setPlaceholderText(tr("Request body (sent as application/json when it is JSON)"));
    auto *requestBox = new QGroupBox(tr("Request"), this);
    auto *headerButtons = new QHBoxLayout;
    headerButtons->addWidget(addHeader);
    headerButtons->addWidget(removeHeader);
    headerButtons->addStretch();
    auto *requestLayout = new QVBoxLayout(requestBox);
    requestLayout->addWidget(m_headers, 1);
    requestLayout->addLayout(headerButtons);
    requestLayout->addWidget(m_body, 1);

    // Response: status, time, headers, body.
    m_status = new QLabel(tr("No request sent yet."), this);
    m_status->setObjectName(QStringLiteral("requestTesterStatus"));
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_elapsed = new QLabel(this);
    m_elapsed->setObjectName(QStringLiteral("requestTesterElapsed"));
    m_responseHeaders = headerTable(this, "requestTesterResponseHeaders");
    m_responseHeaders->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_responseBody = new QPlainTextEdit(this);
    m_responseBody->setObjectName(QStringLiteral("requestTesterResponseBody"));
    m_responseBody->setReadOnly(true);
    m_responseBody->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    auto *responseBox = new QGroupBox(tr("Response"), this);
    auto *statusRow = new QHBoxLayout;
    statusRow->addWidget(m_status, 1);
    statusRow->addWidget(m_elapsed);
    auto *responseLayout = new QVBoxLayout(responseBox);
    responseLayout->addLayout(statusRow);
    responseLayout->addWidget(m_responseHeaders, 1);
    responseLayout->addWidget(m_responseBody, 2);

    m_historyView = new QListView(this);
    m_historyView->setObjectName(QStringLiteral("requestTesterHistory"));
    m_historyView->setModel(m_history);
    m_historyView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    auto *historyBox = new QGroupBox(tr("History"), this);
    auto *historyLayout = new QVBoxLayout(historyBox);
    historyLayout->addWidget(m_historyView);

    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(historyBox);
    splitter->addWidget(requestBox);
    splitter->addWidget(responseBox);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 2);
    splitter->setStretchFactor(2, 3);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(splitter, 1);

    connect(m_send, &QPushButton::clicked, this, [this] {
        if (m_reply)
            m_reply->abort();
        else
            send();
    });
    connect(m_path, &QLineEdit::returnPressed, this, &RequestTesterWidget::send);
    connect(addHeader, &QPushButton::clicked, this, [this] {
        addHeaderRow();
        m_headers->setCurrentCell(m_headers->rowCount() - 1, 0);
        m_headers->editItem(m_headers->item(m_headers->rowCount() - 1, 0));
    });
    connect(removeHeader, &QPushButton::clicked, this, [this] {
        if (m_headers->currentRow() >= 0)
            m_headers->removeRow(m_headers->currentRow());
    });
    connect(m_historyView, &QListView::activated, this, [this](const QModelIndex &index) { loadFromHistory(index.row()); });
    connect(m_network, &QNetworkAccessManager::finished, this, &RequestTesterWidget::onFinished);
}

RequestTesterWidget::~RequestTesterWidget()
{
    if (m_reply)
        m_reply->abort();
}

bool RequestTesterWidget::isBusy() const
{
    return !m_reply.isNull();
}

void RequestTesterWidget::setRequest(const QByteArray &method, const QString &path, const QList<std::pair<QString, QString>> &headers,
                                     const QByteArray &body)
{
    m_method->setCurrentText(QString::fromLatin1(method));
    m_path->setText(path);
    m_headers->setRowCount(0);
    for (const auto &[name, value] : headers)
        addHeaderRow(name, value);
    m_body->setPlainText(QString::fromUtf8(body));
}

void RequestTesterWidget::addHeaderRow(const QString &name, const QString &value)
{
    const int row = m_headers->rowCount();
    m_headers->insertRow(row);
    m_headers->setItem(row, 0, new QTableWidgetItem(name));
    m_headers->setItem(row, 1, new QTableWidgetItem(value));
}

QList<std::pair<QString, QString>> RequestTesterWidget::headers() const
{
    QList<std::pair<QString, QString>> out;
    for (int row = 0; row < m_headers->rowCount(); ++row) {
        const QString name = m_headers->item(row, 0) ? m_headers->item(row, 0)->text().trimmed() : QString();
        if (!name.isEmpty())
            out.append({name, m_headers->item(row, 1) ? m_headers->item(row, 1)->text() : QString()});
    }
    return out;
}

void RequestTesterWidget::send()
{
    if (m_reply)
        return;
    QString path = m_path->text().trimmed();
    if (!path.startsWith(QLatin1Char('/')))
        path.prepend(QLatin1Char('/'));
    const QUrl url(QStringLiteral("http://") + m_client->gatewayAddress() + path, QUrl::TolerantMode);
    if (!url.isValid()) {
        m_status->setText(tr("Not a valid path: %1").arg(url.errorString()));
        return;
    }
    const QByteArray method = m_method->currentText().trimmed().toUpper().toLatin1();
    const QByteArray body = m_body->toPlainText().toUtf8();
    QNetworkRequest request(url);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    request.setTransferTimeout(kTransferTimeoutMs);
    bool hasContentType = false;
    for (const auto &[name, value] : headers()) {
        request.setRawHeader(name.toLatin1(), value.toUtf8());
        hasContentType = hasContentType || name.compare(QLatin1String("content-type"), Qt::CaseInsensitive) == 0;
    }
    if (!body.isEmpty() && !hasContentType) {
        QJsonParseError error;
        QJsonDocument::fromJson(body, &error);
        request.setHeader(QNetworkRequest::ContentTypeHeader,
                          error.error == QJsonParseError::NoError ? QByteArrayLiteral("application/json") : QByteArrayLiteral("text/plain; charset=utf-8"));
    }
    m_timer.start();
    if (method == "GET" && body.isEmpty())
        m_reply = m_network->get(request);
    else if (method == "HEAD")
        m_reply = m_network->head(request);
    else
        m_reply = m_network->sendCustomRequest(request, method, body);
    m_sent = RequestTesterEntry{method, path, headers(), body, 0, 0};
    m_status->setText(tr("Sending %1 %2…").arg(QString::fromLatin1(method), path));
    setBusy(true);
}

void RequestTesterWidget::onFinished(QNetworkReply *reply)
{
    reply->deleteLater();
    const double elapsedMs = double(m_timer.nsecsElapsed()) / 1e6;
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QByteArray body = reply->readAll();
    m_responseHeaders->setRowCount(0);
    for (const auto &[name, value] : reply->rawHeaderPairs()) {
        const int row = m_responseHeaders->rowCount();
        m_responseHeaders->insertRow(row);
        m_responseHeaders->setItem(row, 0, new QTableWidgetItem(QString::fromLatin1(name)));
        m_responseHeaders->setItem(row, 1, new QTableWidgetItem(QString::fromUtf8(value)));
    }
    m_responseHeaders->resizeColumnToContents(0);
    if (status > 0) {
        const QString reason = reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString();
        m_status->setText(QString::number(status) + QLatin1Char(' ') + reason);
        m_status->setStyleSheet(status >= 500 ? QStringLiteral("color: #a00000; font-weight: bold")
                                : status >= 400 ? QStringLiteral("color: #b06000; font-weight: bold")
                                                : QStringLiteral("color: #007000; font-weight: bold"));
    } else {
        m_status->setText(tr("No answer: %1").arg(reply->errorString()));
        m_status->setStyleSheet(QStringLiteral("color: #a00000"));
    }
    m_elapsed->setText(tr("%1 ms").arg(QLocale().toString(elapsedMs, 'f', 1)));
    m_responseBody->setPlainText(prettyBody(body));
    m_lastStatus = status;

    RequestTesterEntry entry = m_sent;
    entry.status = status;
    entry.elapsedMs = elapsedMs;
    m_history->add(entry);
    m_reply = nullptr;
    setBusy(false);
    Q_EMIT finished(status);
}

void RequestTesterWidget::loadFromHistory(int row)
{
    const RequestTesterEntry e = m_history->entry(row);
    if (!e.method.isEmpty())
        setRequest(e.method, e.path, e.headers, e.body);
}

void RequestTesterWidget::setBusy(bool busy)
{
    m_send->setText(busy ? tr("&Cancel") : tr("&Send"));
}

} // namespace Gatehouse::Ui
