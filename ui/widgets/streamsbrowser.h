#pragma once

#include "store/recordedevent.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;

namespace Gatehouse::Ui {

class EngineClient;

// The Streams page's browser of streams, instead of pasting an id: the streams that changed
// most recently (from live events, newest first), or one collection's entities; a search box
// narrows them by id prefix ("lamp") or by a field of the documents ("name=Lamp",
// "price[gt]=10"), answered by the query API. Activating an entry asks the page to load it.
// GUI thread only.
class StreamsBrowser final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StreamsBrowser)

public:
    static constexpr int kMaxRecent = 200;
    static constexpr int kPageSize = 100;

    explicit StreamsBrowser(EngineClient *client, QWidget *parent = nullptr);
    ~StreamsBrowser() override;

    void noteEvents(const RecordedEvents &events);
    // "" for the recent streams, else a collection's name.
    void setScope(const QString &collection);
    QString scope() const;
    void search(const QString &text);
    // Entries shown, as "collection/id".
    QStringList entries() const;

    // What a search text asks the query API for: an id prefix becomes a range on the id
    // (id[gte]=p&id[lt]=p+U+FFFF, sorted by id), field=value and field[op]=value pass as they
    // are. Empty for an empty text.
    static QByteArray queryFor(const QString &text);

Q_SIGNALS:
    void openRequested(const QString &collection, const QString &id);

private:
    void reloadCollections();
    void refresh();
    void showRecent();
    void listArrived(const QString &collection, quint64 generation, const QByteArray &body, int status, const QString &error);

    struct Recent
    {
        QString collection;
        QString id;
        QString type;
        qint64 position = 0;
    };

    EngineClient *m_client;
    QComboBox *m_scope;
    QLineEdit *m_search;
    QListWidget *m_list;
    QLabel *m_status;
    QList<Recent> m_recent;   // newest first, each stream once
    quint64 m_generation = 0;
};

} // namespace Gatehouse::Ui
