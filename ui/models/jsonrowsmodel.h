#pragma once

#include <QAbstractTableModel>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>

#include <functional>

namespace Gatehouse::Ui {

// A table over the items of an admin API list ({"items":[…]}), one row per JSON object, keyed
// by one member ("name", "id"). Columns name a member by a dotted path ("stats.invocations").
// setItems() merges a fresh answer into the rows (update in place, remove the gone, append the
// new), so selection and scroll position survive a refresh. Unknown members are kept and
// ignored, so extra fields from a newer engine do no harm. GUI thread only.
class JsonRowsModel : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(JsonRowsModel)

public:
    struct Column
    {
        QString title;
        QString path;   // dotted member path; empty: computed by `display`
        std::function<QVariant(const QJsonObject &row)> display = {};   // overrides the path
    };

    // SortRole: the value itself (numbers as numbers), for a sorting proxy.
    enum Roles { KeyRole = Qt::UserRole + 1, ObjectRole, SortRole };

    JsonRowsModel(const QString &keyMember, const QList<Column> &columns, QObject *parent = nullptr);
    ~JsonRowsModel() override;

    void setItems(const QJsonArray &items);
    void replaceItems(const QJsonArray &items);   // a reset, for lists whose order matters
    QJsonObject item(int row) const;
    QString key(int row) const;
    int rowOf(const QString &key) const;   // -1 if absent

    static QJsonValue valueAt(const QJsonObject &object, const QString &dottedPath);
    static QString displayText(const QJsonValue &value);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

protected:
    // Subclasses colour or decorate rows; the default returns an invalid QVariant.
    virtual QVariant decoration(const QJsonObject &row, int column, int role) const;

private:
    QString m_keyMember;
    QList<Column> m_columns;
    QList<QJsonObject> m_rows;
};

} // namespace Gatehouse::Ui
