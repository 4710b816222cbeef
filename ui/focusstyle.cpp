#include "focusstyle.h"

#include <QAbstractItemView>
#include <QEvent>
#include <QPainter>
#include <QStyleOption>

namespace Gatehouse::Ui {

namespace {
constexpr int kWidth = 2;

const QAbstractItemView *itemView(const QWidget *widget)
{
    // The current item's focus rectangle is drawn for the viewport's painting, the frame for
    // the view itself.
    if (!widget)
        return nullptr;
    if (const auto *view = qobject_cast<const QAbstractItemView *>(widget))
        return view;
    return qobject_cast<const QAbstractItemView *>(widget->parentWidget());
}

void outline(QPainter *painter, const QRect &rect, const QColor &colour)
{
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing, false);
    QPen pen(colour, kWidth);
    pen.setJoinStyle(Qt::MiterJoin);
    painter->setPen(pen);
    painter->setBrush(Qt::NoBrush);
    painter->drawRect(QRectF(rect).adjusted(kWidth / 2.0, kWidth / 2.0, -kWidth / 2.0, -kWidth / 2.0));
    painter->restore();
}
} // namespace

FocusStyle::FocusStyle(QStyle *base)
    : QProxyStyle(base)
{
}

void FocusStyle::drawPrimitive(PrimitiveElement element, const QStyleOption *option, QPainter *painter, const QWidget *widget) const
{
    const QAbstractItemView *view = itemView(widget);
    if (view && element == PE_FrameFocusRect) {
        // The current item of a view that has the focus.
        if (!view->hasFocus())
            return;
        const bool selected = option->state & State_Selected;
        outline(painter, option->rect, option->palette.color(QPalette::Active, selected ? QPalette::HighlightedText : QPalette::Highlight));
        return;
    }
    if (view && widget == view && element == PE_Frame) {
        QProxyStyle::drawPrimitive(element, option, painter, widget);
        if (view->hasFocus())
            outline(painter, option->rect, option->palette.color(QPalette::Active, QPalette::Highlight));
        return;
    }
    QProxyStyle::drawPrimitive(element, option, painter, widget);
}

void FocusStyle::polish(QWidget *widget)
{
    QProxyStyle::polish(widget);
    if (qobject_cast<QAbstractItemView *>(widget))
        widget->installEventFilter(this);
}

void FocusStyle::unpolish(QWidget *widget)
{
    if (qobject_cast<QAbstractItemView *>(widget))
        widget->removeEventFilter(this);
    QProxyStyle::unpolish(widget);
}

bool FocusStyle::eventFilter(QObject *watched, QEvent *event)
{
    // The frame is the view's own painting, which a change of focus does not ask for.
    if (event->type() == QEvent::FocusIn || event->type() == QEvent::FocusOut) {
        if (auto *view = qobject_cast<QAbstractItemView *>(watched))
            view->update();
    }
    return QProxyStyle::eventFilter(watched, event);
}

} // namespace Gatehouse::Ui
