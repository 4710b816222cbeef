#pragma once

#include <QDialog>
#include <QJsonObject>
#include <QMap>
#include <QStringList>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace Gatehouse::Ui {

class EngineClient;
class RoutePluginCatalog;
class RoutePluginsEdit;

// Creates or edits one route: id, name, uri, methods, hosts, priority, status, the upstream
// (command / query / events / function / http with its fields) and the plugins as JSON. Every
// change is checked at once (fields here, plugin configs by RoutePluginsEdit against the
// engine's schemas) and Save stays disabled while anything is wrong. Save PUTs the route to
// the admin API (POST when a new route has no id); a refusal (the server's 400 problem with
// its errors) is shown in the dialog, which stays open. Fields the form does not show (vars,
// desc, upstream timeouts and checks…) are kept as they were. Lives on the GUI thread.
class RouteEditorDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RouteEditorDialog)

public:
    enum class Mode { Create, Edit };

    // `existingIds`: a new route may not take one of these (it would replace that route).
    RouteEditorDialog(EngineClient *client, RoutePluginCatalog *catalog, Mode mode, const QJsonObject &route,
                      const QStringList &existingIds, QWidget *parent = nullptr);
    ~RouteEditorDialog() override;

    QJsonObject routeJson() const;      // what Save sends
    QStringList fieldErrors() const { return m_fieldErrors; }
    bool canSave() const;

    // "10.0.0.1:80=2, 10.0.0.2:80" ⇄ {"10.0.0.1:80": 2, "10.0.0.2:80": 1}; errors per bad node.
    static QJsonObject parseNodes(const QString &text, QStringList *errors);
    static QString formatNodes(const QJsonValue &nodes);

Q_SIGNALS:
    void saved(const QString &id);

private:
    void buildForm();
    void load(const QJsonObject &route);
    void loadChoices();
    void checkFields();
    void updateSaveButton();
    void showUpstreamFields();
    void save();

    void addVar(const QString &variable = {}, bool negate = false, const QString &op = QStringLiteral("=="), const QString &value = {});
    QJsonArray varsJson(QStringList *errors) const;

    EngineClient *m_client;
    RoutePluginCatalog *m_catalog;
    Mode m_mode;
    QJsonObject m_original;
    QStringList m_existingIds;
    QStringList m_fieldErrors;
    bool m_saving = false;

    QFormLayout *m_form = nullptr;
    QLineEdit *m_id = nullptr;
    QLineEdit *m_name = nullptr;
    QLineEdit *m_uri = nullptr;
    QMap<QString, QCheckBox *> m_methods;
    QLineEdit *m_hosts = nullptr;
    QSpinBox *m_priority = nullptr;
    QCheckBox *m_enabled = nullptr;
    QComboBox *m_upstreamType = nullptr;
    QComboBox *m_collection = nullptr;
    QComboBox *m_function = nullptr;
    QComboBox *m_scheme = nullptr;
    QLineEdit *m_nodes = nullptr;
    QTableWidget *m_vars = nullptr;   // match conditions: variable, not, operator, value
    RoutePluginsEdit *m_plugins = nullptr;
    QLabel *m_fieldErrorLabel = nullptr;
    QLabel *m_serverError = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
    QPushButton *m_save = nullptr;
};

} // namespace Gatehouse::Ui
