#include "streamsbrowser.h"

#include "engineclient.h"
#include "store/cloudevent.h"

#include <QComboBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QRegularExpression>
#include <QSet>
#include <QVBoxLayout>

namespace Gatehouse::Ui {

namespace {
enum Role { CollectionRole = Qt::UserRole + 1, IdRole };
} // namespace

StreamsBrowser::StreamsBrowser(EngineClient *client, QWidget *parent)
    : QWidget(parent)
    , m_client(client)
    , m_scope(new QComboBox(this))
    , m_search(new QLineEdit(this))
    , m_list(new QListWidget(this))
    , m_status(new QLabel(this))
{
    setObjectName(QStringLiteral("streamsBrowser"));
    m_scope->setObjectName(QStringLiteral("streamsBrowserScope"));
    m_scope->addItem(tr("Recent streams"), QString());
    m_search->setObjectName(QStringLiteral("streamsBrowserSearch"));
    m_search->setPlaceholderText(tr("id prefix, or name=Lamp"));
    m_search->setToolTip(tr("An id prefix, or a filter on the documents' fields as the query API takes it "
                            "(name=Lamp, price[gt]=10); Enter searches"));
    m_search->setClearButtonEnabled(true);
    m_list->setObjectName(QStringLiteral("streamsBrowserList"));
    m_list->setUniformItemSizes(true);
    m_status->setObjectName(QStringLiteral("streamsBrowserStatus"));
    m_status->setWordWrap(true);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_scope);
    layout->addWidget(m_search);
    layout->addWidget(m_list, 1);
    layout->addWidget(m_status);

    connect(m_scope, &QComboBox::currentIndexChanged, this, &StreamsBrowser::refresh);
    connect(m_search, &QLineEdit::returnPressed, this, &StreamsBrowser::refresh);
    connect(m_search, &QLineEdit::textChanged, this, [this](const QString &text) {
        if (text.isEmpty())
            refresh();   // cleared: back to the whole scope
        else if (scope().isEmpty())
            showRecent();   // the recent list narrows as one types
    });
    connect(m_list, &QListWidget::itemActivated, this, [this](QListWidgetItem *item) {
        Q_EMIT openRequested(item->data(CollectionRole).toString(), item->data(IdRole).toString());
    });
    connect(client, &EngineClient::resourcesChanged, this, [this](const QString &kind) {
        if (kind == QLatin1String("collections"))
            reloadCollections();
    });
    reloadCollections();
    showRecent();
}

StreamsBrowser::~StreamsBrowser() = default;

QString StreamsBrowser::scope() const
{
    return m_scope->currentData().toString();
}

void StreamsBrowser::setScope(const QString &collection)
{
    const int index = m_scope->findData(collection);
    if (index >= 0)
        m_scope->setCurrentIndex(index);
}

void StreamsBrowser::search(const QString &text)
{
    m_search->setText(text);
    refresh();
}

QStringList StreamsBrowser::entries() const
{
    QStringList out;
    for (int i = 0; i < m_list->count(); ++i)
        out.append(m_list->item(i)->data(CollectionRole).toString() + u'/' + m_list->item(i)->data(IdRole).toString());
    return out;
}

QByteArray StreamsBrowser::queryFor(const QString &text)
{
    const QString t = text.trimmed();
    if (t.isEmpty())
        return {};
    if (t.contains(u'='))
        return t.toUtf8();   // a filter in the query API's own terms; it answers 400 for a bad one
    const QByteArray prefix = EngineClient::encode(t);
    return "id[gte]=" + prefix + "&id[lt]=" + prefix + EngineClient::encode(QString(QChar(0xFFFF))) + "&sort=id";
}

void StreamsBrowser::reloadCollections()
{
    m_client->adminGet("/admin/collections", this, [this](const ClientReply &reply) {
        if (!reply.isSuccess())
            return;
        const QString current = scope();
        const QSignalBlocker blocker(m_scope);
        while (m_scope->count() > 1)
            m_scope->removeItem(1);
        for (const QJsonValue &item : reply.object().value(QLatin1String("items")).toArray()) {
            const QString name = item.toObject().value(QLatin1String("name")).toString();
            m_scope->addItem(tr("Collection %1").arg(name), name);
        }
        m_scope->setCurrentIndex(qMax(0, m_scope->findData(current)));
    });
}

void StreamsBrowser::noteEvents(const RecordedEvents &events)
{
    // Newest first, each stream once: the batch backwards, ahead of what was there.
    QList<Recent> fresh;
    QSet<QString> seen;
    for (auto it = events.crbegin(); it != events.crend() && fresh.size() < kMaxRecent; ++it) {
        const QString subject = CloudEvent::subjectOf(*it);
        if (subject.isEmpty() || seen.contains(it->stream))
            continue;
        seen.insert(it->stream);
        const QString collection = it->stream.size() > subject.size() + 1 ? it->stream.left(it->stream.size() - subject.size() - 1)
                                                                         : CloudEvent::collectionOf(it->type);
        fresh.append({collection, subject, it->type, it->position});
    }
    for (const Recent &r : std::as_const(m_recent)) {
        if (fresh.size() >= kMaxRecent)
            break;
        if (!seen.contains(r.collection + u'-' + r.id))
            fresh.append(r);
    }
    m_recent = std::move(fresh);
    if (scope().isEmpty() && isVisible())
        showRecent();
}

void StreamsBrowser::showRecent()
{
    const QString needle = m_search->text().trimmed();
    const QString current = m_list->currentItem() ? m_list->currentItem()->data(CollectionRole).toString() + u'/'
            + m_list->currentItem()->data(IdRole).toString()
                                                  : QString();
    m_list->clear();
    for (const Recent &r : std::as_const(m_recent)) {
        if (!needle.isEmpty() && !r.id.contains(needle, Qt::CaseInsensitive) && !r.collection.contains(needle, Qt::CaseInsensitive))
            continue;
        auto *item = new QListWidgetItem(QStringLiteral("%1 / %2").arg(r.collection, r.id), m_list);
        item->setData(CollectionRole, r.collection);
        item->setData(IdRole, r.id);
        item->setToolTip(tr("Last event: #%1 %2").arg(r.position).arg(r.type));
        if (r.collection + u'/' + r.id == current)
            m_list->setCurrentItem(item);
    }
    m_status->setText(m_recent.isEmpty() ? tr("No events since the console started: pick a collection above.")
                                         : m_list->count() == 1 ? tr("1 stream") : tr("%1 streams, most recently changed first").arg(m_list->count()));
}

void StreamsBrowser::refresh()
{
    const QString collection = scope();
    ++m_generation;
    if (collection.isEmpty()) {
        showRecent();
        return;
    }
    QByteArray query = queryFor(m_search->text());
    if (!query.contains("sort="))
        query += query.isEmpty() ? "sort=id" : "&sort=id";
    m_status->setText(tr("Loading…"));
    m_client->get("/api/" + EngineClient::encode(collection) + '?' + query + "&limit=" + QByteArray::number(kPageSize), this,
                  [this, collection, generation = m_generation](const ClientReply &reply) {
        listArrived(collection, generation, reply.body, reply.status, reply.isSuccess() ? QString() : reply.errorText());
    });
}

void StreamsBrowser::listArrived(const QString &collection, quint64 generation, const QByteArray &body, int status, const QString &error)
{
    if (generation != m_generation)
        return;
    m_list->clear();
    if (!error.isEmpty() || status != 200) {
        m_status->setText(tr("The query API answered: %1").arg(error));
        return;
    }
    const QJsonObject page = QJsonDocument::fromJson(body).object();
    for (const QJsonValue &v : page.value(QLatin1String("items")).toArray()) {
        const QString id = v.toObject().value(QLatin1String("id")).toString();
        if (id.isEmpty())
            continue;
        auto *item = new QListWidgetItem(QStringLiteral("%1 / %2").arg(collection, id), m_list);
        item->setData(CollectionRole, collection);
        item->setData(IdRole, id);
    }
    const bool more = !page.value(QLatin1String("next_cursor")).toString().isEmpty();
    m_status->setText(m_list->count() == 0 ? tr("No entity matches.")
                                           : more ? tr("The first %1 by id; narrow the search for others.").arg(m_list->count())
                                                  : m_list->count() == 1 ? tr("1 entity") : tr("%1 entities").arg(m_list->count()));
}

} // namespace Gatehouse::Ui
