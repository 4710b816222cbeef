#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QTableWidget>

namespace Gatehouse::Ui {

// A table editing a JSON array of objects, one row per object and one column per member the
// table names; members it does not name stay in the object untouched (or, with a Rest column,
// are edited there as compact JSON). What a cell holds becomes the member's value: empty
// removes it, Number writes a number when the text is one and the text otherwise (so the
// engine, not the table, says what is wrong with it), List writes comma-separated strings.
// Cells can be marked with an error (red, with the message as tooltip). GUI thread only.
class JsonArrayTable final : public QTableWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(JsonArrayTable)

public:
    enum class Kind { Text, Number, List, Rest };
    struct Column
    {
        QString member;   // empty for Rest
        QString title;
        Kind kind = Kind::Text;
    };

    JsonArrayTable(const QList<Column> &columns, QWidget *parent = nullptr);
    ~JsonArrayTable() override;

    // The table with Add (appends `newRow`) and Remove (the current row) buttons under it, in a
    // widget that takes the table's place (and parent).
    static QWidget *withButtons(JsonArrayTable *table, const QJsonObject &newRow);

    void setRows(const QJsonArray &rows);
    QJsonArray rows() const;
    void appendRow(const QJsonObject &row);
    void removeCurrentRow();

    // Marks the cell of `member` (a Rest column takes members no other column names); false
    // when the table has no cell for it.
    bool markError(int row, const QString &member, const QString &message);
    void clearErrors();
    QString errorAt(int row, const QString &member) const;
    int columnOf(const QString &member) const;

Q_SIGNALS:
    void edited();

private:
    void fillRow(int row);
    void readCell(int row, int column);
    QString cellText(const QJsonObject &object, const Column &column) const;

    QList<Column> m_columns;
    QList<QJsonObject> m_objects;
    bool m_filling = false;
};

} // namespace Gatehouse::Ui
