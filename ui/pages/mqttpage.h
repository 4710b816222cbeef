#pragma once

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QPushButton;
class QTreeView;

namespace Gatehouse::Ui {

class EngineClient;
class MetricChart;
class MqttBrowserClient;
class MqttTopicModel;
struct EngineStatus;
struct MqttMessage;

// The MQTT page, as MQTT Explorer shows a broker: the console connects to the engine's broker
// as a client of its own (MqttBrowserClient), subscribes to a filter ("#" by default) and
// shows every topic in a tree with its message count, last payload and retained flag; the
// selected topic's last payload (pretty JSON: CloudEvents, documents), its recent history and
// a chart of its rate. Publish sends a message -- a command with a response topic shows the
// answers that arrive there. The line above says where the engine's bridge stands: outbox
// position, lag and publishes in flight. Connects by itself the first time it is shown when
// the engine's bridge is up. GUI thread only.
class MqttPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MqttPage)

public:
    explicit MqttPage(EngineClient *client, QWidget *parent = nullptr);
    ~MqttPage() override;

    MqttTopicModel *topics() const { return m_model; }
    MqttBrowserClient *browser() const { return m_browser; }
    void connectToBroker(const QString &url);
    void selectTopic(const QString &topic);
    QString selectedTopic() const;
    void publish();

protected:
    void showEvent(QShowEvent *event) override;

private:
    void showStatus(const EngineStatus &status);
    void messagesArrived(const QList<MqttMessage> &messages);
    void showSelected();
    void updateState();

    EngineClient *m_client;
    MqttBrowserClient *m_browser;
    MqttTopicModel *m_model;
    QLineEdit *m_url = nullptr;
    QLineEdit *m_filter = nullptr;
    QPushButton *m_connect = nullptr;
    QLabel *m_state = nullptr;
    QLabel *m_bridge = nullptr;
    QTreeView *m_tree = nullptr;
    QLabel *m_topicTitle = nullptr;
    QPlainTextEdit *m_payload = nullptr;
    QListWidget *m_history = nullptr;
    MetricChart *m_rate = nullptr;
    QLineEdit *m_publishTopic = nullptr;
    QPlainTextEdit *m_publishPayload = nullptr;
    QComboBox *m_qos = nullptr;
    QCheckBox *m_retain = nullptr;
    QLineEdit *m_responseTopic = nullptr;
    QLineEdit *m_userProperties = nullptr;
    QPlainTextEdit *m_responses = nullptr;
    QLabel *m_publishStatus = nullptr;
    QString m_lastError;
    bool m_autoConnected = false;
};

} // namespace Gatehouse::Ui
