#pragma once

#include <QDialog>
#include <QJsonObject>
#include <QStringList>

class QLabel;
class QLineEdit;
class QPushButton;

namespace Gatehouse::Ui {

class EngineClient;
class RoutePluginCatalog;
class RoutePluginsEdit;

// Creates or edits one consumer: username, description and its credentials as the auth
// plugins' consumer configs in JSON ({"key-auth": {"key": "…"}}), checked as the user types
// against each plugin's consumer schema. Save PUTs /admin/consumers/{username}; a refusal is
// shown in the dialog. Lives on the GUI thread.
class ConsumerEditorDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConsumerEditorDialog)

public:
    enum class Mode { Create, Edit };

    ConsumerEditorDialog(EngineClient *client, RoutePluginCatalog *catalog, Mode mode, const QJsonObject &consumer,
                         const QStringList &existingUsernames, QWidget *parent = nullptr);
    ~ConsumerEditorDialog() override;

    QJsonObject consumerJson() const;
    bool canSave() const;

Q_SIGNALS:
    void saved(const QString &username);

private:
    void checkFields();
    void save();

    EngineClient *m_client;
    Mode m_mode;
    QJsonObject m_original;
    QStringList m_existing;
    QStringList m_fieldErrors;
    bool m_saving = false;
    QLineEdit *m_username = nullptr;
    QLineEdit *m_description = nullptr;
    RoutePluginsEdit *m_plugins = nullptr;
    QLabel *m_fieldErrorLabel = nullptr;
    QLabel *m_serverError = nullptr;
    QPushButton *m_save = nullptr;
};

} // namespace Gatehouse::Ui
