#pragma once

#include <QGraphicsView>
#include <QHash>

class QGraphicsRectItem;
class QGraphicsSimpleTextItem;

namespace Gatehouse::Ui {

// The data-flow picture on the overview page: clients → gateway → command side → event log →
// projections / functions → read store → query side, plus WebSocket/SSE and MQTT fed from the
// log. Each box shows one line of live numbers and a health colour. GUI thread only.
class FlowDiagram final : public QGraphicsView
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FlowDiagram)

public:
    enum class Health { Idle, Ok, Warning, Error };
    Q_ENUM(Health)

    explicit FlowDiagram(QWidget *parent = nullptr);
    ~FlowDiagram() override;

    // Node ids: clients, gateway, commands, eventlog, projections, functions, readstore,
    // queries, live, mqtt.
    void setNode(const QString &id, const QString &value, Health health, const QString &toolTip = {});
    QStringList nodeIds() const;
    QString nodeValue(const QString &id) const;
    Health nodeHealth(const QString &id) const;
    static QColor colour(Health health);
    // Where the node's box is in the view's viewport (its centre), e.g. to click it.
    QPoint nodeCentre(const QString &id) const;

Q_SIGNALS:
    void nodeActivated(const QString &id);   // its box clicked

protected:
    void resizeEvent(QResizeEvent *event) override;
    void showEvent(QShowEvent *event) override;
    void mouseReleaseEvent(QMouseEvent *event) override;

private:
    struct Node
    {
        QGraphicsRectItem *box = nullptr;
        QGraphicsRectItem *stripe = nullptr;
        QGraphicsSimpleTextItem *value = nullptr;
        Health health = Health::Idle;
    };
    void addNode(const QString &id, const QString &title, qreal x, qreal y);
    void addEdge(const QString &from, const QString &to, bool elbow = false);
    void fit();
    QString nodeAt(const QPoint &viewportPos) const;

    QHash<QString, Node> m_nodes;
};

} // namespace Gatehouse::Ui
