#include "pluginschemaform.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QSignalBlocker>

namespace Gatehouse::Ui {

namespace {
QString compact(const QJsonValue &value)
{
    if (value.isObject())
        return QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
    if (value.isArray())
        return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
    return QString::fromUtf8(QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact)).mid(1).chopped(1);
}

QString plain(const QJsonValue &v)
{
    return v.isString() ? v.toString() : compact(v);
}

// The schema's type, or the first of a list of them.
QString typeOf(const QJsonObject &schema)
{
    const QJsonValue type = schema.value(QLatin1String("type"));
    return type.isArray() ? type.toArray().first().toString() : type.toString();
}

QJsonValue zeroOf(const QJsonObject &schema)
{
    const QString type = typeOf(schema);
    if (schema.contains(QLatin1String("default")))
        return schema.value(QLatin1String("default"));
    if (schema.value(QLatin1String("enum")).isArray())
        return schema.value(QLatin1String("enum")).toArray().first();
    if (type == QLatin1String("boolean"))
        return false;
    if (type == QLatin1String("integer") || type == QLatin1String("number"))
        return qMax(0.0, schema.value(QLatin1String("minimum")).toDouble(schema.value(QLatin1String("exclusiveMinimum")).toDouble(-1) + 1));
    if (type == QLatin1String("array"))
        return QJsonArray();
    if (type == QLatin1String("object"))
        return QJsonObject();
    return QString();
}
} // namespace

PluginSchemaForm::PluginSchemaForm(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("pluginSchemaForm"));
    m_form = new QFormLayout(this);
    m_form->setContentsMargins(0, 0, 0, 0);
    m_empty = new QLabel(tr("This plugin takes no settings."), this);
    m_empty->setEnabled(false);
    m_form->addRow(m_empty);
}

PluginSchemaForm::~PluginSchemaForm() = default;

PluginSchemaForm::Kind PluginSchemaForm::kindOf(const QJsonObject &schema)
{
    const QString type = typeOf(schema);
    if (schema.value(QLatin1String("enum")).isArray()) {
        for (const QJsonValue &v : schema.value(QLatin1String("enum")).toArray()) {
            if (!v.isString())
                return Kind::Json;
        }
        return Kind::Choice;
    }
    if (type == QLatin1String("boolean"))
        return Kind::Boolean;
    if (type == QLatin1String("integer"))
        return Kind::Integer;
    if (type == QLatin1String("number"))
        return Kind::Number;
    if (type == QLatin1String("string"))
        return Kind::Text;
    if (type == QLatin1String("array")) {
        const QString items = typeOf(schema.value(QLatin1String("items")).toObject());
        if (items == QLatin1String("string") || items == QLatin1String("integer") || items == QLatin1String("number"))
            return Kind::List;
    }
    return Kind::Json;
}

QJsonObject PluginSchemaForm::requiredDefaults(const QJsonObject &schema)
{
    QJsonObject config;
    const QJsonObject properties = schema.value(QLatin1String("properties")).toObject();
    for (const QJsonValue &name : schema.value(QLatin1String("required")).toArray()) {
        const QJsonObject property = properties.value(name.toString()).toObject();
        config.insert(name.toString(), zeroOf(property));
    }
    return config;
}

void PluginSchemaForm::setSchema(const QJsonObject &schema)
{
    while (m_form->rowCount() > 1)
        m_form->removeRow(1);
    m_fields.clear();
    m_order.clear();
    const QJsonObject properties = schema.value(QLatin1String("properties")).toObject();
    QStringList required;
    for (const QJsonValue &v : schema.value(QLatin1String("required")).toArray())
        required.append(v.toString());
    QStringList optional = properties.keys();
    for (const QString &r : required)
        optional.removeAll(r);
    m_order = required + optional;
    for (const QString &name : std::as_const(m_order)) {
        Field f;
        f.schema = properties.value(name).toObject();
        f.kind = kindOf(f.schema);
        f.required = required.contains(name);
        const QString description = f.schema.value(QLatin1String("description")).toString();
        const QJsonValue def = f.schema.value(QLatin1String("default"));
        switch (f.kind) {
        case Kind::Boolean: {
            auto *box = new QCheckBox(this);
            box->setChecked(def.toBool());
            connect(box, &QCheckBox::toggled, this, [this, name] { touched(name); });
            f.widget = box;
            break;
        }
        case Kind::Choice: {
            auto *combo = new QComboBox(this);
            if (!f.required)
                combo->addItem(def.isString() ? tr("(default: %1)").arg(def.toString()) : tr("(not set)"), QString());
            for (const QJsonValue &v : f.schema.value(QLatin1String("enum")).toArray())
                combo->addItem(v.toString(), v.toString());
            connect(combo, &QComboBox::currentIndexChanged, this, [this, name] { touched(name); });
            f.widget = combo;
            break;
        }
        default: {
            auto *edit = new QLineEdit(this);
            if (!def.isUndefined())
                edit->setPlaceholderText(tr("default: %1").arg(plain(def)));
            else if (f.kind == Kind::List)
                edit->setPlaceholderText(tr("values separated by commas"));
            else if (f.kind == Kind::Json)
                edit->setPlaceholderText(tr("JSON"));
            connect(edit, &QLineEdit::textEdited, this, [this, name] { touched(name); });
            f.widget = edit;
            break;
        }
        }
        f.widget->setObjectName(QStringLiteral("pluginField_") + name);
        f.widget->setToolTip(description);
        auto *label = new QLabel(f.required ? name + QStringLiteral(" *") : name, this);
        label->setToolTip(f.required ? tr("%1 (required)").arg(description) : description);
        m_form->addRow(label, f.widget);
        m_fields.insert(name, f);
    }
    m_empty->setVisible(m_order.isEmpty());
}

void PluginSchemaForm::fill(Field &field, const QJsonValue &value)
{
    switch (field.kind) {
    case Kind::Boolean:
        static_cast<QCheckBox *>(field.widget)->setChecked(value.isUndefined() ? field.schema.value(QLatin1String("default")).toBool() : value.toBool());
        break;
    case Kind::Choice: {
        auto *combo = static_cast<QComboBox *>(field.widget);
        const int index = combo->findData(value.toString());
        combo->setCurrentIndex(index >= 0 ? index : 0);
        break;
    }
    case Kind::List: {
        QStringList parts;
        for (const QJsonValue &v : value.toArray())
            parts.append(plain(v));
        static_cast<QLineEdit *>(field.widget)->setText(value.isArray() ? parts.join(QStringLiteral(", ")) : value.isUndefined() ? QString() : plain(value));
        break;
    }
    default:
        static_cast<QLineEdit *>(field.widget)->setText(value.isUndefined() ? QString() : plain(value));
        break;
    }
}

void PluginSchemaForm::setConfig(const QJsonObject &config)
{
    m_filling = true;
    m_extra = QJsonObject();
    for (auto it = config.begin(); it != config.end(); ++it) {
        if (!m_fields.contains(it.key()))
            m_extra.insert(it.key(), it.value());
    }
    for (auto it = m_fields.begin(); it != m_fields.end(); ++it) {
        const QSignalBlocker blocker(it->widget);
        it->present = it->required || config.contains(it.key());
        it->touched = false;
        it->original = config.value(it.key());
        fill(*it, config.value(it.key()));
    }
    m_filling = false;
}

void PluginSchemaForm::touched(const QString &member)
{
    if (m_filling)
        return;
    m_fields[member].present = true;
    m_fields[member].touched = true;
    Q_EMIT edited(config());
}

QJsonValue PluginSchemaForm::valueOf(const Field &field) const
{
    switch (field.kind) {
    case Kind::Boolean:
        return static_cast<QCheckBox *>(field.widget)->isChecked();
    case Kind::Choice: {
        const QString v = static_cast<QComboBox *>(field.widget)->currentData().toString();
        return v.isEmpty() ? QJsonValue(QJsonValue::Undefined) : QJsonValue(v);
    }
    default:
        break;
    }
    const QString text = static_cast<QLineEdit *>(field.widget)->text().trimmed();
    if (text.isEmpty())
        return field.kind == Kind::Text && field.required ? QJsonValue(QString()) : QJsonValue(QJsonValue::Undefined);
    // What does not parse goes as the text it is: the schema check names the field.
    switch (field.kind) {
    case Kind::Integer: {
        bool ok = false;
        const qint64 n = text.toLongLong(&ok);
        return ok ? QJsonValue(n) : QJsonValue(text);
    }
    case Kind::Number: {
        bool ok = false;
        const double n = text.toDouble(&ok);
        return ok ? QJsonValue(n) : QJsonValue(text);
    }
    case Kind::List: {
        const QString itemType = typeOf(field.schema.value(QLatin1String("items")).toObject());
        QJsonArray items;
        for (const QString &part : text.split(u',', Qt::SkipEmptyParts)) {
            const QString p = part.trimmed();
            bool ok = false;
            const double n = p.toDouble(&ok);
            items.append(itemType != QLatin1String("string") && ok ? QJsonValue(n) : QJsonValue(p));
        }
        return items;
    }
    case Kind::Json: {
        const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8());
        if (doc.isObject())
            return doc.object();
        if (doc.isArray())
            return doc.array();
        const QJsonDocument scalar = QJsonDocument::fromJson('[' + text.toUtf8() + ']');
        return scalar.isArray() && scalar.array().size() == 1 ? scalar.array().first() : QJsonValue(text);
    }
    default:
        return text;
    }
}

QJsonObject PluginSchemaForm::config() const
{
    QJsonObject out = m_extra;
    for (const QString &name : m_order) {
        const Field &f = m_fields[name];
        if (!f.present)
            continue;
        // What the user did not edit goes back exactly as it came (a form field may not hold
        // every value losslessly: a list with commas in its items, spaces at the ends).
        const QJsonValue v = !f.touched && !f.original.isUndefined() ? f.original : valueOf(f);
        if (!v.isUndefined())
            out.insert(name, v);
    }
    return out;
}

void PluginSchemaForm::setErrors(const QList<SchemaViolation> &violations)
{
    for (auto it = m_fields.begin(); it != m_fields.end(); ++it) {
        it->error.clear();
        it->widget->setStyleSheet(QString());
        it->widget->setToolTip(it->schema.value(QLatin1String("description")).toString());
    }
    for (const SchemaViolation &v : violations) {
        // "/count" or "/nodes/0": the member is the first segment; "" or "/": the object itself
        // (a required member missing names it in the message).
        QString member = v.path.section(u'/', 1, 1);
        if (member.isEmpty()) {
            for (const QString &name : std::as_const(m_order)) {
                if (v.message.contains(u'\'' + name + u'\'') || v.message.contains(u'"' + name + u'"')) {
                    member = name;
                    break;
                }
            }
        }
        auto it = m_fields.find(member);
        if (it == m_fields.end())
            continue;
        it->error = it->error.isEmpty() ? v.message : it->error + u'\n' + v.message;
        it->widget->setStyleSheet(QStringLiteral("border: 2px solid #c62828;"));
        it->widget->setToolTip(it->error);
    }
}

QString PluginSchemaForm::fieldError(const QString &member) const
{
    return m_fields.value(member).error;
}

QWidget *PluginSchemaForm::field(const QString &member) const
{
    return m_fields.value(member).widget;
}

QStringList PluginSchemaForm::members() const
{
    return m_order;
}

} // namespace Gatehouse::Ui
