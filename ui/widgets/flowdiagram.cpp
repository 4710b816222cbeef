#include "flowdiagram.h"

#include <QGraphicsLineItem>
#include <QGraphicsPolygonItem>
#include <QGraphicsRectItem>
#include <QGraphicsScene>
#include <QGraphicsSimpleTextItem>
#include <QLineF>
#include <QMouseEvent>
#include <QPalette>
#include <QtMath>

namespace Gatehouse::Ui {

namespace {
constexpr qreal kWidth = 170;
constexpr qreal kHeight = 64;
constexpr qreal kStripe = 6;
}

FlowDiagram::FlowDiagram(QWidget *parent)
    : QGraphicsView(parent)
{
    setObjectName(QStringLiteral("flowDiagram"));
    setScene(new QGraphicsScene(this));
    setRenderHint(QPainter::Antialiasing);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    setFrameShape(QFrame::NoFrame);
    setFocusPolicy(Qt::NoFocus);

    addNode(QStringLiteral("clients"), tr("Clients"), 0, 110);
    addNode(QStringLiteral("gateway"), tr("Gateway"), 220, 110);
    addNode(QStringLiteral("commands"), tr("Command side"), 440, 20);
    addNode(QStringLiteral("eventlog"), tr("Event log"), 660, 20);
    addNode(QStringLiteral("projections"), tr("Projections"), 880, 20);
    addNode(QStringLiteral("functions"), tr("Functions"), 880, 130);
    addNode(QStringLiteral("readstore"), tr("Read store"), 1100, 75);
    addNode(QStringLiteral("queries"), tr("Query side"), 440, 200);
    addNode(QStringLiteral("live"), tr("WebSocket / SSE"), 660, 290);
    addNode(QStringLiteral("mqtt"), tr("MQTT"), 880, 290);

    addEdge(QStringLiteral("clients"), QStringLiteral("gateway"));
    addEdge(QStringLiteral("gateway"), QStringLiteral("commands"));
    addEdge(QStringLiteral("gateway"), QStringLiteral("queries"));
    addEdge(QStringLiteral("commands"), QStringLiteral("eventlog"));
    addEdge(QStringLiteral("eventlog"), QStringLiteral("projections"));
    addEdge(QStringLiteral("eventlog"), QStringLiteral("functions"));
    addEdge(QStringLiteral("projections"), QStringLiteral("readstore"));
    addEdge(QStringLiteral("functions"), QStringLiteral("readstore"));
    addEdge(QStringLiteral("readstore"), QStringLiteral("queries"), true);
    addEdge(QStringLiteral("eventlog"), QStringLiteral("live"));
    addEdge(QStringLiteral("eventlog"), QStringLiteral("mqtt"));
    scene()->setSceneRect(scene()->itemsBoundingRect().adjusted(-10, -10, 10, 10));
}

FlowDiagram::~FlowDiagram() = default;

QColor FlowDiagram::colour(Health health)
{
    switch (health) {
    case Health::Idle: return QColor(0x9e, 0x9e, 0x9e);
    case Health::Ok: return QColor(0x43, 0xa0, 0x47);
    case Health::Warning: return QColor(0xf9, 0xa8, 0x25);
    case Health::Error: return QColor(0xe5, 0x39, 0x35);
    }
    return {};
}

void FlowDiagram::addNode(const QString &id, const QString &title, qreal x, qreal y)
{
    Node node;
    const QPalette pal = palette();
    node.box = scene()->addRect(QRectF(x, y, kWidth, kHeight), QPen(pal.color(QPalette::Mid), 1), pal.brush(QPalette::Base));
    node.box->setZValue(1);
    node.stripe = scene()->addRect(QRectF(x, y, kStripe, kHeight), Qt::NoPen, colour(Health::Idle));
    node.stripe->setZValue(2);
    auto *titleItem = scene()->addSimpleText(title);
    QFont bold = font();
    bold.setBold(true);
    titleItem->setFont(bold);
    titleItem->setBrush(pal.color(QPalette::Text));
    titleItem->setPos(x + kStripe + 8, y + 8);
    titleItem->setZValue(3);
    node.value = scene()->addSimpleText(QStringLiteral("–"));
    node.value->setBrush(pal.color(QPalette::Text));
    node.value->setPos(x + kStripe + 8, y + 34);
    node.value->setZValue(3);
    node.box->setCursor(Qt::PointingHandCursor);
    m_nodes.insert(id, node);
}

QString FlowDiagram::nodeAt(const QPoint &viewportPos) const
{
    const QPointF scenePos = mapToScene(viewportPos);
    for (auto it = m_nodes.cbegin(); it != m_nodes.cend(); ++it) {
        if (it->box->rect().contains(scenePos))
            return it.key();
    }
    return {};
}

QPoint FlowDiagram::nodeCentre(const QString &id) const
{
    const auto it = m_nodes.constFind(id);
    return it == m_nodes.cend() ? QPoint() : mapFromScene(it->box->rect().center());
}

void FlowDiagram::mouseReleaseEvent(QMouseEvent *event)
{
    QGraphicsView::mouseReleaseEvent(event);
    if (event->button() != Qt::LeftButton)
        return;
    const QString id = nodeAt(event->position().toPoint());
    if (!id.isEmpty())
        Q_EMIT nodeActivated(id);
}

void FlowDiagram::addEdge(const QString &from, const QString &to, bool elbow)
{
    const QRectF a = m_nodes.value(from).box->rect();
    const QRectF b = m_nodes.value(to).box->rect();
    // From the side of `a` facing `b` to the facing side of `b`; an elbow goes down from `a`
    // and then across, around whatever lies between.
    QPointF start = a.center();
    QPointF end = b.center();
    const QPen pen(palette().color(QPalette::Mid), 1.5);
    if (elbow) {
        start.setY(a.bottom());
        end.setX(b.left() >= a.right() ? b.left() : b.right());
        const QPointF corner(start.x(), end.y());
        scene()->addLine(QLineF(start, corner), pen)->setZValue(0);
        start = corner;
    } else if (b.left() >= a.right()) {
        start.setX(a.right());
        end.setX(b.left());
    } else if (b.right() <= a.left()) {
        start.setX(a.left());
        end.setX(b.right());
    } else if (b.top() >= a.bottom()) {
        start.setY(a.bottom());
        end.setY(b.top());
    } else {
        start.setY(a.top());
        end.setY(b.bottom());
    }
    scene()->addLine(QLineF(start, end), pen)->setZValue(0);
    const QLineF line(end, start);
    const qreal angle = qDegreesToRadians(line.angle());
    const qreal size = 9;
    QPolygonF head;
    head << end
         << end + QPointF(std::cos(angle + M_PI / 7) * size, -std::sin(angle + M_PI / 7) * size)
         << end + QPointF(std::cos(angle - M_PI / 7) * size, -std::sin(angle - M_PI / 7) * size);
    scene()->addPolygon(head, Qt::NoPen, palette().color(QPalette::Mid))->setZValue(0);
}

void FlowDiagram::setNode(const QString &id, const QString &value, Health health, const QString &toolTip)
{
    auto it = m_nodes.find(id);
    if (it == m_nodes.end())
        return;
    if (it->value->text() != value)
        it->value->setText(value);
    if (it->health != health) {
        it->health = health;
        it->stripe->setBrush(colour(health));
    }
    it->box->setToolTip(toolTip);
}

QStringList FlowDiagram::nodeIds() const
{
    return m_nodes.keys();
}

QString FlowDiagram::nodeValue(const QString &id) const
{
    const auto it = m_nodes.constFind(id);
    return it == m_nodes.cend() ? QString() : it->value->text();
}

FlowDiagram::Health FlowDiagram::nodeHealth(const QString &id) const
{
    return m_nodes.value(id).health;
}

void FlowDiagram::fit()
{
    fitInView(scene()->sceneRect(), Qt::KeepAspectRatio);
}

void FlowDiagram::resizeEvent(QResizeEvent *event)
{
    QGraphicsView::resizeEvent(event);
    fit();
}

void FlowDiagram::showEvent(QShowEvent *event)
{
    QGraphicsView::showEvent(event);
    fit();
}

} // namespace Gatehouse::Ui
