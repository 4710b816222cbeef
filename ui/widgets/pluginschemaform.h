#pragma once

#include "config/schemaviolation.h"

#include <QHash>
#include <QJsonObject>
#include <QWidget>

class QFormLayout;
class QLabel;

namespace Gatehouse::Ui {

// A form for one plugin's configuration, generated from its JSON Schema (the top level's
// `properties`): a check box for a boolean, a choice for an enum, a line for a string, a
// number or an array of plain values (comma-separated), and compact JSON for anything else.
// Required members come first and are marked; each field's tooltip is the schema's
// description, its placeholder the default. Members the form was not given and the user did
// not touch stay out of config(), so a default stays the plugin's default. setErrors() puts
// schema violations on their fields (by the first segment of the path). GUI thread only.
class PluginSchemaForm final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PluginSchemaForm)

public:
    explicit PluginSchemaForm(QWidget *parent = nullptr);
    ~PluginSchemaForm() override;

    void setSchema(const QJsonObject &schema);   // rebuilds the fields
    void setConfig(const QJsonObject &config);    // fills them; emits nothing
    QJsonObject config() const;
    void setErrors(const QList<SchemaViolation> &violations);
    QString fieldError(const QString &member) const;
    QWidget *field(const QString &member) const;
    QStringList members() const;   // in the order shown

    // What the form starts a new configuration with: the required members, at their defaults.
    static QJsonObject requiredDefaults(const QJsonObject &schema);

Q_SIGNALS:
    void edited(const QJsonObject &config);   // by the user

private:
    enum class Kind { Boolean, Choice, Text, Integer, Number, List, Json };
    struct Field
    {
        Kind kind = Kind::Text;
        QWidget *widget = nullptr;
        QJsonObject schema;
        bool required = false;
        bool present = false;   // in config(): given, required or touched
        bool touched = false;   // edited by the user since setConfig()
        QJsonValue original;    // as given: kept exactly until touched
        QString error;
    };
    static Kind kindOf(const QJsonObject &schema);
    void touched(const QString &member);
    QJsonValue valueOf(const Field &field) const;
    void fill(Field &field, const QJsonValue &value);

    QFormLayout *m_form = nullptr;
    QLabel *m_empty = nullptr;
    QStringList m_order;
    QHash<QString, Field> m_fields;
    QJsonObject m_extra;   // members the schema does not describe: kept as they are
    bool m_filling = false;
};

} // namespace Gatehouse::Ui
