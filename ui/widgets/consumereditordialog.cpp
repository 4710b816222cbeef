#include "consumereditordialog.h"

#include "engineclient.h"
#include "routepluginsedit.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QVBoxLayout>

namespace Gatehouse::Ui {

ConsumerEditorDialog::ConsumerEditorDialog(EngineClient *client, RoutePluginCatalog *catalog, Mode mode, const QJsonObject &consumer,
                                           const QStringList &existingUsernames, QWidget *parent)
    : QDialog(parent)
    , m_client(client)
    , m_mode(mode)
    , m_original(consumer)
    , m_existing(existingUsernames)
{
    setObjectName(QStringLiteral("consumerEditor"));
    setWindowTitle(mode == Mode::Create ? tr("New consumer") : tr("Edit consumer %1").arg(consumer.value(QStringLiteral("username")).toString()));
    m_original.remove(QStringLiteral("create_time"));
    m_original.remove(QStringLiteral("update_time"));

    m_username = new QLineEdit(consumer.value(QStringLiteral("username")).toString(), this);
    m_username->setObjectName(QStringLiteral("consumerEditorUsername"));
    m_username->setReadOnly(mode == Mode::Edit);
    m_description = new QLineEdit(consumer.value(QStringLiteral("desc")).toString(), this);
    m_description->setObjectName(QStringLiteral("consumerEditorDescription"));
    m_plugins = new RoutePluginsEdit(catalog, RoutePluginsEdit::Mode::Consumer, this);
    m_plugins->setObjectName(QStringLiteral("consumerEditorPlugins"));
    m_plugins->setPlugins(consumer.value(QStringLiteral("plugins")).toObject());
    m_fieldErrorLabel = new QLabel(this);
    m_fieldErrorLabel->setObjectName(QStringLiteral("consumerEditorFieldErrors"));
    m_fieldErrorLabel->setStyleSheet(QStringLiteral("color: #a00000"));
    m_serverError = new QLabel(this);
    m_serverError->setObjectName(QStringLiteral("consumerEditorServerError"));
    m_serverError->setStyleSheet(QStringLiteral("color: #a00000"));
    m_serverError->setWordWrap(true);
    m_serverError->hide();
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    m_save = buttons->button(QDialogButtonBox::Save);
    m_save->setObjectName(QStringLiteral("consumerEditorSave"));

    auto *form = new QFormLayout;
    form->addRow(tr("&Username"), m_username);
    form->addRow(tr("&Description"), m_description);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(new QLabel(tr("Credentials (JSON: auth plugin → consumer config)"), this));
    layout->addWidget(m_plugins, 1);
    layout->addWidget(m_fieldErrorLabel);
    layout->addWidget(m_serverError);
    layout->addWidget(buttons);

    connect(m_username, &QLineEdit::textChanged, this, &ConsumerEditorDialog::checkFields);
    connect(m_plugins, &RoutePluginsEdit::validityChanged, this, &ConsumerEditorDialog::checkFields);
    connect(buttons, &QDialogButtonBox::accepted, this, &ConsumerEditorDialog::save);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    checkFields();
    resize(520, 420);
}

ConsumerEditorDialog::~ConsumerEditorDialog() = default;

QJsonObject ConsumerEditorDialog::consumerJson() const
{
    QJsonObject consumer = m_original;
    consumer.insert(QStringLiteral("username"), m_username->text().trimmed());
    const QString desc = m_description->text().trimmed();
    if (desc.isEmpty())
        consumer.remove(QStringLiteral("desc"));
    else
        consumer.insert(QStringLiteral("desc"), desc);
    consumer.insert(QStringLiteral("plugins"), m_plugins->plugins());
    return consumer;
}

void ConsumerEditorDialog::checkFields()
{
    static const QRegularExpression name(QStringLiteral("^[A-Za-z0-9_.-]{1,64}$"));
    const QString username = m_username->text().trimmed();
    m_fieldErrors.clear();
    if (!name.match(username).hasMatch())
        m_fieldErrors.append(tr("Username: 1-64 of A-Z a-z 0-9 _ . -"));
    else if (m_mode == Mode::Create && m_existing.contains(username))
        m_fieldErrors.append(tr("Username: '%1' exists already").arg(username));
    m_fieldErrorLabel->setText(m_fieldErrors.join(QLatin1Char('\n')));
    m_fieldErrorLabel->setVisible(!m_fieldErrors.isEmpty());
    m_save->setEnabled(canSave());
}

bool ConsumerEditorDialog::canSave() const
{
    return !m_saving && m_fieldErrors.isEmpty() && m_plugins->isValid();
}

void ConsumerEditorDialog::save()
{
    if (!canSave())
        return;
    const QJsonObject consumer = consumerJson();
    const QString username = consumer.value(QStringLiteral("username")).toString();
    m_saving = true;
    m_save->setEnabled(false);
    m_serverError->hide();
    m_client->admin(QByteArrayLiteral("PUT"), "/admin/consumers/" + EngineClient::encode(username),
                    QJsonDocument(consumer).toJson(QJsonDocument::Compact), this, [this, username](const ClientReply &reply) {
        m_saving = false;
        checkFields();
        if (!reply.isSuccess()) {
            m_serverError->setText(tr("The engine refused the consumer:\n%1").arg(reply.errorText()));
            m_serverError->show();
            return;
        }
        Q_EMIT saved(username);
        accept();
    });
}

} // namespace Gatehouse::Ui
