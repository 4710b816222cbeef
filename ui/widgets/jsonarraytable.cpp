#include "jsonarraytable.h"

#include "config/strictjson.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QPushButton>
#include <QVBoxLayout>

namespace Gatehouse::Ui {

namespace {
constexpr int kErrorRole = Qt::UserRole + 1;
}

JsonArrayTable::JsonArrayTable(const QList<Column> &columns, QWidget *parent)
    : QTableWidget(0, int(columns.size()), parent)
    , m_columns(columns)
{
    QStringList titles;
    for (const Column &c : columns)
        titles.append(c.title);
    setHorizontalHeaderLabels(titles);
    verticalHeader()->hide();
    horizontalHeader()->setStretchLastSection(true);
    horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    horizontalHeader()->setMinimumSectionSize(70);
    setSelectionBehavior(QAbstractItemView::SelectRows);
    setSelectionMode(QAbstractItemView::SingleSelection);
    connect(this, &QTableWidget::cellChanged, this, [this](int row, int column) {
        if (!m_filling)
            readCell(row, column);
    });
}

JsonArrayTable::~JsonArrayTable() = default;

QWidget *JsonArrayTable::withButtons(JsonArrayTable *table, const QJsonObject &newRow)
{
    auto *box = new QWidget(table->parentWidget());
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(table);
    auto *buttons = new QHBoxLayout;
    auto *add = new QPushButton(tr("Add"), box);
    add->setObjectName(table->objectName() + QStringLiteral("Add"));
    auto *remove = new QPushButton(tr("Remove"), box);
    remove->setObjectName(table->objectName() + QStringLiteral("Remove"));
    buttons->addWidget(add);
    buttons->addWidget(remove);
    buttons->addStretch(1);
    layout->addLayout(buttons);
    connect(add, &QPushButton::clicked, table, [table, newRow] { table->appendRow(newRow); });
    connect(remove, &QPushButton::clicked, table, &JsonArrayTable::removeCurrentRow);
    table->setMinimumHeight(110);
    return box;
}

QString JsonArrayTable::cellText(const QJsonObject &object, const Column &column) const
{
    if (column.kind == Kind::Rest) {
        QJsonObject rest = object;
        for (const Column &c : m_columns)
            rest.remove(c.member);
        return rest.isEmpty() ? QString() : QString::fromUtf8(QJsonDocument(rest).toJson(QJsonDocument::Compact));
    }
    const QJsonValue v = object.value(column.member);
    if (v.isArray()) {
        QStringList parts;
        for (const QJsonValue &item : v.toArray())
            parts.append(item.isString() ? item.toString() : QString::fromUtf8(QJsonDocument(QJsonArray{item}).toJson(QJsonDocument::Compact)).mid(1).chopped(1));
        return parts.join(QStringLiteral(", "));
    }
    if (v.isDouble())
        return QString::number(v.toDouble(), 'g', 16);
    if (v.isString())
        return v.toString();
    if (v.isBool())
        return v.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    if (v.isObject())
        return QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
    return {};
}

void JsonArrayTable::fillRow(int row)
{
    const bool wasFilling = m_filling;
    m_filling = true;
    for (int c = 0; c < m_columns.size(); ++c) {
        auto *item = new QTableWidgetItem(cellText(m_objects.at(row), m_columns.at(c)));
        setItem(row, c, item);
    }
    m_filling = wasFilling;
}

void JsonArrayTable::setRows(const QJsonArray &rows)
{
    m_objects.clear();
    for (const QJsonValue &v : rows)
        m_objects.append(v.toObject());
    m_filling = true;
    setRowCount(int(m_objects.size()));
    for (int r = 0; r < m_objects.size(); ++r)
        fillRow(r);
    m_filling = false;
}

QJsonArray JsonArrayTable::rows() const
{
    QJsonArray out;
    for (const QJsonObject &o : m_objects)
        out.append(o);
    return out;
}

void JsonArrayTable::appendRow(const QJsonObject &row)
{
    m_objects.append(row);
    m_filling = true;
    setRowCount(int(m_objects.size()));
    fillRow(int(m_objects.size()) - 1);
    m_filling = false;
    setCurrentCell(int(m_objects.size()) - 1, 0);
    Q_EMIT edited();
}

void JsonArrayTable::removeCurrentRow()
{
    const int row = currentRow();
    if (row < 0 || row >= m_objects.size())
        return;
    m_objects.removeAt(row);
    removeRow(row);
    Q_EMIT edited();
}

void JsonArrayTable::readCell(int row, int column)
{
    if (row < 0 || row >= m_objects.size() || column < 0 || column >= m_columns.size())
        return;
    const Column &c = m_columns.at(column);
    const QString text = item(row, column) ? item(row, column)->text().trimmed() : QString();
    QJsonObject &o = m_objects[row];
    switch (c.kind) {
    case Kind::Rest: {
        QJsonObject rest;
        if (!text.isEmpty()) {
            StrictJson::Error error;
            const std::optional<QJsonObject> parsed = StrictJson::parseObject(text.toUtf8(), &error);
            if (!parsed) {
                markError(row, {}, tr("not a JSON object: %1").arg(error.toString()));
                return;
            }
            rest = *parsed;
        }
        for (const QString &key : o.keys()) {
            if (columnOf(key) < 0)
                o.remove(key);
        }
        for (auto it = rest.begin(); it != rest.end(); ++it) {
            if (columnOf(it.key()) < 0)
                o.insert(it.key(), it.value());
        }
        break;
    }
    case Kind::Number: {
        bool ok = false;
        const double number = text.toDouble(&ok);
        if (text.isEmpty())
            o.remove(c.member);
        else
            o.insert(c.member, ok ? QJsonValue(number) : QJsonValue(text));
        break;
    }
    case Kind::List: {
        QJsonArray list;
        for (const QString &part : text.split(QLatin1Char(','), Qt::SkipEmptyParts))
            list.append(part.trimmed());
        if (list.isEmpty())
            o.remove(c.member);
        else
            o.insert(c.member, list);
        break;
    }
    case Kind::Text:
        if (text.isEmpty())
            o.remove(c.member);
        else
            o.insert(c.member, text);
        break;
    }
    if (QTableWidgetItem *cell = item(row, column); cell && cell->data(kErrorRole).isValid()) {
        m_filling = true;
        cell->setData(kErrorRole, QVariant());
        cell->setBackground(QBrush());
        cell->setToolTip({});
        m_filling = false;
    }
    Q_EMIT edited();
}

int JsonArrayTable::columnOf(const QString &member) const
{
    for (int c = 0; c < m_columns.size(); ++c) {
        if (m_columns.at(c).kind != Kind::Rest && m_columns.at(c).member == member)
            return c;
    }
    return -1;
}

bool JsonArrayTable::markError(int row, const QString &member, const QString &message)
{
    int column = columnOf(member);
    if (column < 0) {
        for (int c = 0; c < m_columns.size(); ++c) {
            if (m_columns.at(c).kind == Kind::Rest)
                column = c;
        }
    }
    if (row < 0 || row >= rowCount() || column < 0)
        return false;
    QTableWidgetItem *cell = item(row, column);
    if (!cell)
        return false;
    m_filling = true;
    const QString previous = cell->data(kErrorRole).toString();
    const QString text = previous.isEmpty() ? message : previous + QLatin1Char('\n') + message;
    cell->setData(kErrorRole, text);
    cell->setToolTip(text);
    cell->setBackground(QColor(255, 205, 210));
    m_filling = false;
    return true;
}

void JsonArrayTable::clearErrors()
{
    m_filling = true;
    for (int r = 0; r < rowCount(); ++r) {
        for (int c = 0; c < columnCount(); ++c) {
            if (QTableWidgetItem *cell = item(r, c); cell && cell->data(kErrorRole).isValid()) {
                cell->setData(kErrorRole, QVariant());
                cell->setToolTip({});
                cell->setBackground(QBrush());
            }
        }
    }
    m_filling = false;
}

QString JsonArrayTable::errorAt(int row, const QString &member) const
{
    int column = columnOf(member);
    if (column < 0) {
        for (int c = 0; c < m_columns.size(); ++c) {
            if (m_columns.at(c).kind == Kind::Rest)
                column = c;
        }
    }
    const QTableWidgetItem *cell = column >= 0 ? item(row, column) : nullptr;
    return cell ? cell->data(kErrorRole).toString() : QString();
}

} // namespace Gatehouse::Ui
