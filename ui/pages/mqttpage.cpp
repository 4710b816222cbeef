#include "mqttpage.h"

#include "engineclient.h"
#include "models/mqttbrowserclient.h"
#include "models/mqtttopicmodel.h"
#include "widgets/metricchart.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QLocale>
#include <QMap>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QTreeView>
#include <QUuid>
#include <QVBoxLayout>

namespace Gatehouse::Ui {

namespace {
QString pretty(const QByteArray &payload)
{
    const QJsonDocument doc = QJsonDocument::fromJson(payload);
    if (doc.isObject() || doc.isArray())
        return QString::fromUtf8(doc.toJson(QJsonDocument::Indented));
    return QString::fromUtf8(payload.left(64 * 1024));
}
} // namespace

MqttPage::MqttPage(EngineClient *client, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
    , m_browser(new MqttBrowserClient(this))
    , m_model(new MqttTopicModel(this))
{
    setObjectName(QStringLiteral("mqttPage"));
    const QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);

    // Connection and the bridge's state.
    m_url = new QLineEdit(this);
    m_url->setObjectName(QStringLiteral("mqttBrokerUrl"));
    m_url->setPlaceholderText(QStringLiteral("mqtt://127.0.0.1:1883"));
    m_filter = new QLineEdit(QStringLiteral("#"), this);
    m_filter->setObjectName(QStringLiteral("mqttFilter"));
    m_filter->setMaximumWidth(220);
    m_filter->setToolTip(tr("The topic filter to subscribe to (# is everything)"));
    m_connect = new QPushButton(tr("Connect"), this);
    m_connect->setObjectName(QStringLiteral("mqttConnect"));
    m_state = new QLabel(this);
    m_state->setObjectName(QStringLiteral("mqttState"));
    m_bridge = new QLabel(this);
    m_bridge->setObjectName(QStringLiteral("mqttBridge"));
    auto *top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Broker"), this));
    top->addWidget(m_url, 2);
    top->addWidget(new QLabel(tr("Filter"), this));
    top->addWidget(m_filter, 1);
    top->addWidget(m_connect);
    top->addWidget(m_state, 1);

    // The topic tree.
    m_tree = new QTreeView(this);
    m_tree->setObjectName(QStringLiteral("mqttTopics"));
    m_tree->setModel(m_model);
    m_tree->setUniformRowHeights(true);
    m_tree->header()->setSectionResizeMode(MqttTopicModel::TopicColumn, QHeaderView::Interactive);
    m_tree->setColumnWidth(MqttTopicModel::TopicColumn, 260);
    m_tree->setColumnWidth(MqttTopicModel::MessagesColumn, 80);

    // The selected topic.
    m_topicTitle = new QLabel(tr("Select a topic"), this);
    m_topicTitle->setObjectName(QStringLiteral("mqttTopicTitle"));
    m_topicTitle->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_topicTitle->setWordWrap(true);
    m_payload = new QPlainTextEdit(this);
    m_payload->setObjectName(QStringLiteral("mqttPayload"));
    m_payload->setReadOnly(true);
    m_payload->setFont(mono);
    m_history = new QListWidget(this);
    m_history->setObjectName(QStringLiteral("mqttHistory"));
    m_history->setMaximumHeight(130);
    m_rate = new MetricChart(tr("Messages/s on this topic"), tr("msg/s"), this);
    m_rate->setObjectName(QStringLiteral("mqttRate"));
    m_rate->setMaximumHeight(170);
    auto *detail = new QWidget(this);
    auto *detailLayout = new QVBoxLayout(detail);
    detailLayout->setContentsMargins(0, 0, 0, 0);
    detailLayout->addWidget(m_topicTitle);
    detailLayout->addWidget(m_payload, 2);
    detailLayout->addWidget(new QLabel(tr("History (newest first)"), this));
    detailLayout->addWidget(m_history, 1);
    detailLayout->addWidget(m_rate);

    // Publish.
    m_publishTopic = new QLineEdit(QStringLiteral("gatehouse/commands/products/create"), this);
    m_publishTopic->setObjectName(QStringLiteral("mqttPublishTopic"));
    m_publishPayload = new QPlainTextEdit(this);
    m_publishPayload->setObjectName(QStringLiteral("mqttPublishPayload"));
    m_publishPayload->setFont(mono);
    m_publishPayload->setMaximumHeight(60);
    m_publishPayload->setPlaceholderText(QStringLiteral("{\"id\": \"p1\", \"name\": \"Lamp\", \"price\": 12}"));
    m_qos = new QComboBox(this);
    m_qos->setObjectName(QStringLiteral("mqttQos"));
    m_qos->addItems({QStringLiteral("QoS 0"), QStringLiteral("QoS 1")});
    m_qos->setCurrentIndex(1);
    m_retain = new QCheckBox(tr("Retain"), this);
    m_retain->setObjectName(QStringLiteral("mqttRetain"));
    m_responseTopic = new QLineEdit(QStringLiteral("gatehouse/console/replies/") + QUuid::createUuid().toString(QUuid::Id128).left(8), this);
    m_responseTopic->setObjectName(QStringLiteral("mqttResponseTopic"));
    m_responseTopic->setToolTip(tr("MQTT 5 response topic: the engine answers a command there (empty: no answer)"));
    m_userProperties = new QLineEdit(this);
    m_userProperties->setObjectName(QStringLiteral("mqttUserProperties"));
    m_userProperties->setPlaceholderText(tr("user properties: apikey=secret, authorization=Bearer …"));
    auto *send = new QPushButton(tr("Publish"), this);
    send->setObjectName(QStringLiteral("mqttPublish"));
    m_publishStatus = new QLabel(this);
    m_publishStatus->setObjectName(QStringLiteral("mqttPublishStatus"));
    m_responses = new QPlainTextEdit(this);
    m_responses->setObjectName(QStringLiteral("mqttResponses"));
    m_responses->setReadOnly(true);
    m_responses->setFont(mono);
    m_responses->setMaximumHeight(90);
    m_responses->setPlaceholderText(tr("Answers on the response topic"));
    auto *publishBox = new QGroupBox(tr("Publish"), this);
    auto *publishForm = new QFormLayout(publishBox);
    auto *options = new QHBoxLayout;
    options->addWidget(m_qos);
    options->addWidget(m_retain);
    options->addWidget(m_userProperties, 1);
    options->addWidget(send);
    publishForm->addRow(tr("Topic"), m_publishTopic);
    publishForm->addRow(tr("Payload"), m_publishPayload);
    publishForm->addRow(tr("Response topic"), m_responseTopic);
    publishForm->addRow(QString(), options);
    publishForm->addRow(QString(), m_publishStatus);
    publishForm->addRow(tr("Answers"), m_responses);

    auto *split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(m_tree);
    split->addWidget(detail);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    auto *vertical = new QSplitter(Qt::Vertical, this);
    vertical->addWidget(split);
    vertical->addWidget(publishBox);
    vertical->setStretchFactor(0, 3);
    vertical->setStretchFactor(1, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_bridge);
    layout->addWidget(vertical, 1);

    connect(m_connect, &QPushButton::clicked, this, [this] {
        if (m_browser->isConnected())
            m_browser->disconnectFromBroker();
        else
            connectToBroker(m_url->text());
    });
    connect(send, &QPushButton::clicked, this, &MqttPage::publish);
    connect(m_browser, &MqttBrowserClient::messagesArrived, this, &MqttPage::messagesArrived);
    connect(m_browser, &MqttBrowserClient::connectedChanged, this, &MqttPage::updateState);
    connect(m_browser, &MqttBrowserClient::failed, this, [this](const QString &error) {
        m_lastError = error;
        updateState();
    });
    connect(m_browser, &MqttBrowserClient::published, this, [this](const QString &topic, bool ok, const QString &error) {
        m_publishStatus->setText(ok ? tr("Published to %1 at %2.").arg(topic, QTime::currentTime().toString(QStringLiteral("HH:mm:ss")))
                                    : tr("Not published: %1").arg(error));
    });
    connect(m_tree->selectionModel(), &QItemSelectionModel::currentChanged, this, &MqttPage::showSelected);
    connect(client, &EngineClient::statusUpdated, this, &MqttPage::showStatus);
    showStatus(client->status());
    updateState();
}

MqttPage::~MqttPage()
{
    m_browser->disconnectFromBroker();
}

void MqttPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    // The first time: connected by itself to the engine's own broker when its bridge is up.
    const EngineStatus &s = m_client->status();
    if (!m_autoConnected && s.mqttEnabled && !s.mqttBroker.isEmpty() && !m_browser->isConnected()) {
        m_autoConnected = true;
        connectToBroker(s.mqttBroker);
    }
}

void MqttPage::connectToBroker(const QString &url)
{
    m_url->setText(url);
    m_lastError.clear();
    m_model->clear();
    m_browser->connectTo(url, m_filter->text());
    m_state->setText(tr("Connecting…"));
}

void MqttPage::showStatus(const EngineStatus &s)
{
    if (m_url->text().isEmpty() && s.mqttEnabled)
        m_url->setText(s.mqttBroker);
    if (!s.mqttEnabled) {
        m_bridge->setText(tr("The engine's MQTT bridge is off (%1).").arg(s.mqttBroker));
        return;
    }
    const QLocale locale;
    m_bridge->setText(tr("Engine bridge: %1 · outbox at #%2 · lag %3 events · %4 in flight · %5 commands received")
                          .arg(s.mqttConnected ? tr("connected") : tr("disconnected"), locale.toString(s.mqttOutboxPosition),
                               locale.toString(s.mqttOutboxLag), locale.toString(s.mqttInFlight),
                               locale.toString(qint64(s.mqttCommandsReceived))));
}

void MqttPage::updateState()
{
    const bool connected = m_browser->isConnected();
    m_connect->setText(connected ? tr("Disconnect") : tr("Connect"));
    if (connected)
        m_state->setText(tr("Connected to %1: %2 topics").arg(m_browser->url()).arg(m_model->topicCount()));
    else
        m_state->setText(m_lastError.isEmpty() ? tr("Not connected") : m_lastError);
    m_state->setStyleSheet(!connected && !m_lastError.isEmpty() ? QStringLiteral("color: #a00000") : QString());
}

void MqttPage::messagesArrived(const QList<MqttMessage> &messages)
{
    m_model->addMessages(messages);
    // Answers to what this page published with a response topic.
    const QString responseTopic = m_responseTopic->text().trimmed();
    for (const MqttMessage &m : messages) {
        if (responseTopic.isEmpty() || m.topic != responseTopic)
            continue;
        QString status;
        for (const auto &[name, value] : m.userProperties) {
            if (name == QLatin1String("status"))
                status = value;
        }
        m_responses->appendPlainText(QStringLiteral("%1  %2%3").arg(QDateTime::fromMSecsSinceEpoch(m.receivedMs).toString(QStringLiteral("HH:mm:ss.zzz")),
                                                                     status.isEmpty() ? QString() : tr("status %1  ").arg(status),
                                                                     QString::fromUtf8(m.payload.left(4096))));
    }
    if (!selectedTopic().isEmpty())
        showSelected();
    if (m_model->topicCount() <= 50)
        m_tree->expandAll();   // a small topic space is shown whole
    updateState();
}

void MqttPage::selectTopic(const QString &topic)
{
    const QModelIndex index = m_model->indexOf(topic);
    if (!index.isValid())
        return;
    m_tree->expand(index.parent());
    m_tree->setCurrentIndex(index);
    m_tree->scrollTo(index);
}

QString MqttPage::selectedTopic() const
{
    return m_model->topicAt(m_tree->currentIndex());
}

void MqttPage::showSelected()
{
    const QString topic = selectedTopic();
    if (topic.isEmpty()) {
        m_topicTitle->setText(tr("Select a topic"));
        m_payload->clear();
        m_history->clear();
        return;
    }
    const QList<MqttTopicModel::Entry> history = m_model->history(topic);
    m_topicTitle->setText(tr("<b>%1</b> · %2 message(s) here and below%3")
                              .arg(topic.toHtmlEscaped())
                              .arg(m_model->messageCount(topic))
                              .arg(!history.isEmpty() && history.last().retained ? tr(" · last one retained") : QString()));
    m_payload->setPlainText(history.isEmpty() ? tr("(no message on this topic itself)") : pretty(history.last().payload));
    m_history->clear();
    for (auto it = history.crbegin(); it != history.crend(); ++it) {
        m_history->addItem(QStringLiteral("%1  %2 bytes%3")
                               .arg(QDateTime::fromMSecsSinceEpoch(it->ms).toString(QStringLiteral("HH:mm:ss.zzz")))
                               .arg(it->size)
                               .arg(it->retained ? tr("  retained") : QString()));
    }
    // The rate over the topic's own history, per second.
    QMap<qint64, int> perSecond;
    for (const MqttTopicModel::Entry &e : history)
        ++perSecond[e.ms / 1000];
    m_rate->clear();
    if (!perSecond.isEmpty()) {
        // Every second from the first message (at most five minutes back) to now: quiet seconds are 0.
        const qint64 last = QDateTime::currentMSecsSinceEpoch() / 1000;
        for (qint64 second = qMax(perSecond.firstKey(), last - 300); second <= last; ++second)
            m_rate->addPoint(second * 1000, perSecond.value(second));
    }
}

void MqttPage::publish()
{
    QList<std::pair<QString, QString>> properties;
    for (const QString &pair : m_userProperties->text().split(u',', Qt::SkipEmptyParts)) {
        const qsizetype eq = pair.indexOf(u'=');
        if (eq > 0)
            properties.append({pair.left(eq).trimmed(), pair.mid(eq + 1).trimmed()});
    }
    m_browser->publish(m_publishTopic->text().trimmed(), m_publishPayload->toPlainText().toUtf8(), m_qos->currentIndex(), m_retain->isChecked(),
                       m_responseTopic->text().trimmed(), properties);
}

} // namespace Gatehouse::Ui
