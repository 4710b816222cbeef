#include "eventsdetailview.h"

#include "models/eventbuffermodel.h"
#include "store/cloudevent.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QUrl>

namespace Gatehouse::Ui {

namespace {
constexpr int kMaxListed = 20;
const QLatin1String kScheme("event");
const QLatin1String kOpenScheme("open");   // open:<n>, the n-th of eventLinks() of the shown event

QString escaped(const QString &text)
{
    return text.toHtmlEscaped();
}

QString pretty(const QByteArray &json)
{
    const QJsonDocument doc = QJsonDocument::fromJson(json);
    return doc.isNull() ? QString::fromUtf8(json) : QString::fromUtf8(doc.toJson(QJsonDocument::Indented));
}
} // namespace

EventsDetailView::EventsDetailView(const EventBufferModel *buffer, QWidget *parent)
    : QTextBrowser(parent)
    , m_buffer(buffer)
{
    setObjectName(QStringLiteral("eventsDetail"));
    setOpenLinks(false);
    connect(this, &QTextBrowser::anchorClicked, this, [this](const QUrl &url) {
        if (url.scheme() == kScheme) {
            Q_EMIT eventLinkActivated(url.path());
        } else if (url.scheme() == kOpenScheme) {
            const QList<std::pair<QString, Location>> links = eventLinks(m_shown);
            bool ok = false;
            const int n = url.path().toInt(&ok);
            if (ok && n >= 0 && n < links.size())
                Q_EMIT locationActivated(links.at(n).second);
        }
    });
    displayNothing();
}

EventsDetailView::~EventsDetailView() = default;

QUrl EventsDetailView::linkTo(const QString &id)
{
    QUrl url;
    url.setScheme(kScheme);
    url.setPath(id);
    return url;
}

void EventsDetailView::displayNothing()
{
    m_shownId.clear();
    m_shown = {};
    setHtml(QStringLiteral("<p><i>%1</i></p>").arg(escaped(tr("Select an event and press Enter to see it here."))));
}

void EventsDetailView::display(const RecordedEvent &event)
{
    m_shownId = event.id;
    m_shown = EventRef::of(event);
    const QString ce = QString::fromUtf8(QJsonDocument(CloudEvent::toJson(event)).toJson(QJsonDocument::Indented));
    QString html = QStringLiteral("<h3>%1 &nbsp;#%2</h3>").arg(escaped(event.type)).arg(event.position);
    html += QStringLiteral("<p>%1 <b>%2</b> &middot; %3 <b>%4</b> v%5</p>")
                .arg(escaped(tr("subject")), escaped(CloudEvent::subjectOf(event)), escaped(tr("stream")),
                     escaped(event.stream)).arg(event.version);
    QStringList links;
    const QList<std::pair<QString, Location>> places = eventLinks(m_shown);
    for (qsizetype i = 0; i < places.size(); ++i) {
        if (places.at(i).second.kind != Location::Kind::Event)
            links.append(QStringLiteral("<a href=\"%1:%2\">%3</a>").arg(kOpenScheme).arg(i).arg(escaped(places.at(i).first)));
    }
    if (!links.isEmpty())
        html += QStringLiteral("<p>%1</p>").arg(links.join(QStringLiteral(" &middot; ")));
    html += chainHtml(event);
    html += QStringLiteral("<h4>%1</h4><pre>%2</pre>").arg(escaped(tr("CloudEvent")), escaped(ce));
    html += QStringLiteral("<h4>%1</h4><pre>%2</pre>").arg(escaped(tr("Stored metadata")), escaped(pretty(event.metadata)));
    setHtml(html);
}

QString EventsDetailView::chainHtml(const RecordedEvent &event) const
{
    const QJsonObject meta = QJsonDocument::fromJson(event.metadata).object();
    const QString correlation = meta.value(QLatin1String("correlationid")).toString();
    const QString causation = meta.value(QLatin1String("causationid")).toString();
    QString html = QStringLiteral("<h4>%1</h4><table cellspacing=\"4\">").arg(escaped(tr("Chain")));
    auto row = [&html](const QString &label, const QString &value) {
        html += QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>").arg(escaped(label), value);
    };
    row(tr("Correlation"), correlation.isEmpty() ? escaped(tr("none")) : referenceHtml(correlation));
    row(tr("Causation"), causation.isEmpty() ? escaped(tr("none")) : referenceHtml(causation));
    if (!correlation.isEmpty()) {
        const QList<int> related = m_buffer->rowsWithMetadata(QStringLiteral("correlationid"), correlation, kMaxListed + 1);
        row(tr("Same correlation"), rowListHtml(related, event.id));
    }
    row(tr("Caused by this"), rowListHtml(m_buffer->rowsWithMetadata(QStringLiteral("causationid"), event.id, kMaxListed + 1), {}));
    html += QStringLiteral("</table>");
    return html;
}

QString EventsDetailView::referenceHtml(const QString &id) const
{
    const QString link = QStringLiteral("<a href=\"%1\">%2</a>").arg(escaped(linkTo(id).toString()), escaped(id));
    const int row = m_buffer->rowOfEventOrCommand(id);
    if (row < 0)
        return link + QStringLiteral(" &mdash; <i>%1</i>").arg(escaped(tr("not loaded (older than the buffer, or not in the log)")));
    if (m_buffer->eventAt(row).id == id)
        return link + QStringLiteral(" &mdash; %1").arg(escaped(tr("event %1").arg(eventLabel(row))));
    return link + QStringLiteral(" &mdash; %1").arg(escaped(tr("command; its first event is %1").arg(eventLabel(row))));
}

QString EventsDetailView::rowListHtml(const QList<int> &rows, const QString &skipId) const
{
    QStringList links;
    for (int row : rows) {
        const RecordedEvent &e = m_buffer->eventAt(row);
        if (e.id == skipId)
            continue;
        if (links.size() == kMaxListed) {
            links.append(QStringLiteral("&hellip;"));
            break;
        }
        links.append(QStringLiteral("<a href=\"%1\">%2</a>").arg(escaped(linkTo(e.id).toString()), escaped(eventLabel(row))));
    }
    return links.isEmpty() ? escaped(tr("none in the buffer")) : links.join(QStringLiteral(", "));
}

QString EventsDetailView::eventLabel(int row) const
{
    const RecordedEvent &e = m_buffer->eventAt(row);
    return QStringLiteral("#%1 %2").arg(e.position).arg(e.type);
}

} // namespace Gatehouse::Ui
