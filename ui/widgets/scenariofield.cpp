#include "scenariofield.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>

namespace Gatehouse::Ui {

ScenarioField::ScenarioField(const QString &member, bool numeric, QWidget *parent)
    : QWidget(parent)
    , m_member(member)
    , m_numeric(numeric)
{
    m_edit = new QLineEdit(this);
    m_edit->setObjectName(QStringLiteral("field_") + member);
    m_error = new QLabel(this);
    m_error->setObjectName(QStringLiteral("fieldError_") + member);
    m_error->setStyleSheet(QStringLiteral("color: #b71c1c;"));
    m_error->setWordWrap(true);
    m_error->hide();
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_edit, 1);
    layout->addWidget(m_error, 1);
    connect(m_edit, &QLineEdit::textEdited, this, [this](const QString &text) {
        setError({});
        const QString t = text.trimmed();
        bool ok = false;
        const double number = t.toDouble(&ok);
        if (t.isEmpty())
            Q_EMIT edited(QJsonValue(QJsonValue::Undefined));
        else
            Q_EMIT edited(m_numeric && ok ? QJsonValue(number) : QJsonValue(t));
    });
}

ScenarioField::~ScenarioField() = default;

void ScenarioField::setValue(const QJsonValue &value)
{
    if (value.isDouble())
        m_edit->setText(QString::number(value.toDouble(), 'g', 16));
    else
        m_edit->setText(value.isString() ? value.toString() : QString());
}

void ScenarioField::setError(const QString &message)
{
    m_error->setText(message);
    m_error->setVisible(!message.isEmpty());
    m_edit->setStyleSheet(message.isEmpty() ? QString() : QStringLiteral("border: 1px solid #b71c1c;"));
    m_edit->setToolTip(message);
}

void ScenarioField::addError(const QString &message)
{
    setError(error().isEmpty() ? message : error() + QLatin1Char('\n') + message);
}

QString ScenarioField::error() const
{
    return m_error->text();
}

} // namespace Gatehouse::Ui
