#include "requesttesterwidget.h"

#include "engineclient.h"
#include "models/consumercredentials.h"
#include "models/requesttesterhistorymodel.h"
#include "models/testerrequests.h"

#include <QClipboard>
#include <QComboBox>
#include <QDateTime>
#include <QGuiApplication>
#include <QInputDialog>
#include <QJsonArray>
#include <QSpinBox>
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
#include <QSslConfiguration>
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
    auto *base = new QLabel(client->gatewayUrl(), this);
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

    // Path parameters, credentials, repeat, curl, saved requests.
    m_params = new QWidget(this);
    m_params->setObjectName(QStringLiteral("requestTesterParams"));
    new QFormLayout(m_params);
    m_params->layout()->setContentsMargins(0, 0, 0, 0);
    m_params->hide();
    m_consumer = new QComboBox(this);
    m_consumer->setObjectName(QStringLiteral("requestTesterConsumer"));
    m_consumer->setToolTip(tr("Put a consumer's login headers into the request (key-auth, basic-auth, jwt-auth)"));
    m_consumer->addItem(tr("Credentials of…"));
    auto *apply = new QPushButton(tr("Apply"), this);
    apply->setObjectName(QStringLiteral("requestTesterApplyCredentials"));
    m_repeat = new QSpinBox(this);
    m_repeat->setObjectName(QStringLiteral("requestTesterRepeat"));
    m_repeat->setRange(1, 1000);
    m_repeat->setPrefix(tr("Repeat "));
    m_repeat->setSuffix(tr("×"));
    m_repeat->setToolTip(tr("Send the request this many times, one after the other"));
    auto *curl = new QPushButton(tr("Copy as curl"), this);
    curl->setObjectName(QStringLiteral("requestTesterCopyCurl"));
    m_saved = new QComboBox(this);
    m_saved->setObjectName(QStringLiteral("requestTesterSaved"));
    m_saved->setToolTip(tr("Saved requests: choose one to load it"));
    m_saved->setMinimumContentsLength(12);
    auto *save = new QPushButton(tr("Save…"), this);
    save->setObjectName(QStringLiteral("requestTesterSave"));
    auto *unsave = new QPushButton(tr("Delete"), this);
    unsave->setObjectName(QStringLiteral("requestTesterDeleteSaved"));
    auto *tools = new QHBoxLayout;
    tools->addWidget(m_consumer);
    tools->addWidget(apply);
    tools->addSpacing(12);
    tools->addWidget(m_repeat);
    tools->addWidget(curl);
    tools->addStretch(1);
    tools->addWidget(m_saved);
    tools->addWidget(save);
    tools->addWidget(unsave);

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
    layout->addWidget(m_params);
    layout->addLayout(tools);
    layout->addWidget(splitter, 1);

    connect(m_path, &QLineEdit::textChanged, this, &RequestTesterWidget::updateParams);
    connect(apply, &QPushButton::clicked, this, [this] {
        if (m_consumer->currentIndex() > 0)
            applyCredentials(m_consumer->currentText());
    });
    connect(m_repeat, &QSpinBox::valueChanged, this, [this](int times) { m_send->setText(times > 1 ? tr("&Send %1×").arg(times) : tr("&Send")); });
    connect(curl, &QPushButton::clicked, this, &RequestTesterWidget::copyAsCurl);
    connect(m_saved, &QComboBox::activated, this, [this](int index) {
        if (index > 0)
            loadSaved(m_saved->itemText(index));
    });
    connect(save, &QPushButton::clicked, this, [this] {
        bool ok = false;
        const QString name = QInputDialog::getText(this, tr("Save request"), tr("Name"), QLineEdit::Normal,
                                                   m_method->currentText() + u' ' + m_path->text(), &ok).trimmed();
        if (ok && !name.isEmpty())
            saveRequest(name);
    });
    connect(unsave, &QPushButton::clicked, this, [this] {
        if (m_saved->currentIndex() > 0)
            deleteSaved(m_saved->currentText());
    });
    connect(client, &EngineClient::resourcesChanged, this, [this](const QString &kind) {
        if (kind == QLatin1String("consumers") || kind == QLatin1String("config"))
            reloadConsumers();
    });
    reloadSaved();

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
    m_repeatLeft = m_repeat->value() - 1;
    m_repeatStatuses.clear();
    m_repeatMs.clear();
    m_summary.clear();
    sendOne();
}

void RequestTesterWidget::sendOne()
{
    QString missing;
    QString path = resolvedPath(&missing).trimmed();
    if (!missing.isEmpty()) {
        m_status->setText(tr("Fill in :%1 first.").arg(missing));
        m_status->setStyleSheet(QStringLiteral("color: #a00000"));
        m_repeatLeft = 0;
        setBusy(false);
        return;
    }
    if (!path.startsWith(QLatin1Char('/')))
        path.prepend(QLatin1Char('/'));
    const QUrl url(m_client->gatewayUrl() + path, QUrl::TolerantMode);
    if (!url.isValid()) {
        m_status->setText(tr("Not a valid path: %1").arg(url.errorString()));
        m_repeatLeft = 0;
        setBusy(false);
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
    if (const QList<QSslCertificate> own = m_client->engineCertificates(); !own.isEmpty()) {
        // The engine's own certificate is trusted besides the system's authorities (verified
        // as any other: chain, dates, the name in the URL).
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        tls.addCaCertificates(own);
        request.setSslConfiguration(tls);
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
    ++m_repeatStatuses[status];
    m_repeatMs.append(elapsedMs);
    const bool aborted = reply->error() == QNetworkReply::OperationCanceledError;
    if (m_repeatLeft > 0 && !aborted) {
        --m_repeatLeft;
        sendOne();
        return;
    }
    m_repeatLeft = 0;
    if (m_repeatMs.size() > 1) {
        // The sum of a repeated Send: how many of each status, and the times.
        QList<double> sorted = m_repeatMs;
        std::sort(sorted.begin(), sorted.end());
        QStringList counts;
        for (auto it = m_repeatStatuses.cbegin(); it != m_repeatStatuses.cend(); ++it)
            counts.append(tr("%1 × %2").arg(it.value()).arg(it.key() ? QString::number(it.key()) : tr("no answer")));
        const QLocale locale;
        m_summary = tr("%1 sent: %2 · median %3 ms · max %4 ms")
                        .arg(m_repeatMs.size())
                        .arg(counts.join(QStringLiteral(", ")), locale.toString(sorted.at(sorted.size() / 2), 'f', 1),
                             locale.toString(sorted.last(), 'f', 1));
        m_elapsed->setText(m_summary);
    } else {
        m_summary = m_elapsed->text();
    }
    setBusy(false);
    Q_EMIT finished(status);
}

void RequestTesterWidget::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    reloadConsumers();
}

QString RequestTesterWidget::summary() const
{
    return m_summary;
}

QStringList RequestTesterWidget::pathParams() const
{
    return Ui::pathParams(m_path->text());
}

void RequestTesterWidget::updateParams()
{
    auto *form = static_cast<QFormLayout *>(m_params->layout());
    const QStringList names = pathParams();
    QStringList shown;
    for (int row = 0; row < form->rowCount(); ++row) {
        if (auto *edit = qobject_cast<QLineEdit *>(form->itemAt(row, QFormLayout::FieldRole)->widget()))
            shown.append(edit->property("param").toString());
    }
    if (shown == names)
        return;
    while (form->rowCount() > 0)
        form->removeRow(0);
    for (const QString &name : names) {
        auto *edit = new QLineEdit(m_params);
        edit->setObjectName(QStringLiteral("requestTesterParam_") + name);
        edit->setProperty("param", name);
        edit->setText(m_paramValues.value(name));
        edit->setPlaceholderText(tr("value of :%1").arg(name));
        connect(edit, &QLineEdit::textChanged, this, [this, name](const QString &value) { m_paramValues.insert(name, value); });
        connect(edit, &QLineEdit::returnPressed, this, &RequestTesterWidget::send);
        form->addRow(u':' + name, edit);
    }
    m_params->setVisible(!names.isEmpty());
}

void RequestTesterWidget::setParam(const QString &name, const QString &value)
{
    m_paramValues.insert(name, value);
    if (auto *edit = m_params->findChild<QLineEdit *>(QStringLiteral("requestTesterParam_") + name))
        edit->setText(value);
}

QString RequestTesterWidget::resolvedPath(QString *missing) const
{
    return fillPathParams(m_path->text(), m_paramValues, missing);
}

QString RequestTesterWidget::curlCommand() const
{
    return Ui::curlCommand(RequestTesterEntry{m_method->currentText().trimmed().toUpper().toLatin1(), resolvedPath(), headers(),
                                              m_body->toPlainText().toUtf8(), 0, 0},
                           m_client->gatewayUrl(), m_client->engineCertificateFile());
}

void RequestTesterWidget::copyAsCurl()
{
    QGuiApplication::clipboard()->setText(curlCommand());
    m_status->setText(tr("Copied as a curl command."));
    m_status->setStyleSheet({});
}

void RequestTesterWidget::setHeader(const QString &name, const QString &value)
{
    for (int row = 0; row < m_headers->rowCount(); ++row) {
        if (m_headers->item(row, 0) && m_headers->item(row, 0)->text().trimmed().compare(name, Qt::CaseInsensitive) == 0) {
            m_headers->item(row, 1)->setText(value);
            return;
        }
    }
    addHeaderRow(name, value);
}

void RequestTesterWidget::reloadConsumers()
{
    m_client->adminGet("/admin/consumers", this, [this](const ClientReply &reply) {
        if (!reply.isSuccess())
            return;
        const QString current = m_consumer->currentIndex() > 0 ? m_consumer->currentText() : QString();
        m_consumers.clear();
        QStringList names;
        for (const QJsonValue &v : reply.object().value(QLatin1String("items")).toArray()) {
            const QJsonObject c = v.toObject();
            const QString name = c.value(QLatin1String("username")).toString();
            m_consumers.insert(name, c);
            names.append(name);
        }
        names.sort();
        const QSignalBlocker blocker(m_consumer);
        while (m_consumer->count() > 1)
            m_consumer->removeItem(1);
        m_consumer->addItems(names);
        m_consumer->setCurrentIndex(qMax(0, m_consumer->findText(current)));
    });
}

bool RequestTesterWidget::applyCredentials(const QString &username)
{
    const auto it = m_consumers.constFind(username);
    QString error;
    const QList<std::pair<QString, QString>> headers = it == m_consumers.cend()
        ? QList<std::pair<QString, QString>>()
        : ConsumerCredentials::headersFor(*it, &error, QDateTime::currentSecsSinceEpoch());
    if (headers.isEmpty()) {
        m_status->setText(error.isEmpty() ? tr("No consumer %1.").arg(username) : error);
        m_status->setStyleSheet(QStringLiteral("color: #a00000"));
        return false;
    }
    for (const auto &[name, value] : headers)
        setHeader(name, value);
    m_status->setText(tr("Headers of %1 set: %2.").arg(username, headers.first().first));
    m_status->setStyleSheet({});
    return true;
}

void RequestTesterWidget::setRepeat(int times)
{
    m_repeat->setValue(times);
}

QStringList RequestTesterWidget::savedNames() const
{
    return SavedRequests::names();
}

void RequestTesterWidget::reloadSaved()
{
    const QSignalBlocker blocker(m_saved);
    m_saved->clear();
    m_saved->addItem(tr("Saved requests…"));
    m_saved->addItems(savedNames());
}

void RequestTesterWidget::saveRequest(const QString &name)
{
    SavedRequests::save(name, RequestTesterEntry{m_method->currentText().trimmed().toUpper().toLatin1(), m_path->text(), headers(),
                                                 m_body->toPlainText().toUtf8(), 0, 0});
    reloadSaved();
    m_saved->setCurrentIndex(m_saved->findText(name));
    m_status->setText(tr("Saved as %1.").arg(name));
    m_status->setStyleSheet({});
}

bool RequestTesterWidget::loadSaved(const QString &name)
{
    const std::optional<RequestTesterEntry> saved = SavedRequests::find(name);
    if (saved)
        setRequest(saved->method, saved->path, saved->headers, saved->body);
    return saved.has_value();
}

void RequestTesterWidget::deleteSaved(const QString &name)
{
    SavedRequests::remove(name);
    reloadSaved();
}

void RequestTesterWidget::loadFromHistory(int row)
{
    const RequestTesterEntry e = m_history->entry(row);
    if (!e.method.isEmpty())
        setRequest(e.method, e.path, e.headers, e.body);
}

void RequestTesterWidget::setBusy(bool busy)
{
    const int times = m_repeat->value();
    m_send->setText(busy ? tr("&Cancel") : times > 1 ? tr("&Send %1×").arg(times) : tr("&Send"));
}

} // namespace Gatehouse::Ui
