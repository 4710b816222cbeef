#pragma once

#include <QProxyStyle>

namespace Gatehouse::Ui {

// The application's style with keyboard focus made plain to see on lists, tables and trees:
// the view that has the focus gets a two-pixel frame in the highlight colour, and its current
// item a two-pixel outline (in the highlighted text colour on a selected row, where the
// highlight colour would not show). Everything else is drawn by the base style.
class FocusStyle final : public QProxyStyle
{
    Q_OBJECT

public:
    explicit FocusStyle(QStyle *base = nullptr);

    void drawPrimitive(PrimitiveElement element, const QStyleOption *option, QPainter *painter, const QWidget *widget = nullptr) const override;
    void polish(QWidget *widget) override;
    void unpolish(QWidget *widget) override;
    using QProxyStyle::polish;
    using QProxyStyle::unpolish;

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;
};

} // namespace Gatehouse::Ui
