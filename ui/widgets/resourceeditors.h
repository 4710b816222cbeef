#pragma once

#include <QDialog>
#include <QJsonObject>
#include <QStringList>

#include <functional>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QGroupBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableView;
class QTableWidget;

namespace Gatehouse::Ui {

class EngineClient;
class JsonRowsModel;
class RoutePluginCatalog;
class RoutePluginsEdit;

// A dialog for one resource of /admin/<kind> (upstreams, global rules): the subclass builds
// the form and the body; Save PUTs it to /admin/<kind>/<id> and keeps the dialog open with the
// engine's refusal (problem detail and errors) when it says no. Members the form does not show
// are kept as they were. GUI thread only.
class ResourceEditorDialog : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ResourceEditorDialog)

public:
    ~ResourceEditorDialog() override;
    void save();
    QString serverError() const;

Q_SIGNALS:
    void saved(const QString &id);

protected:
    ResourceEditorDialog(EngineClient *client, const QString &kind, bool create, const QJsonObject &original, const QStringList &existingIds,
                         QWidget *parent);
    // The body from the fields, on top of the original; false with `*error` for what the form
    // itself can tell is wrong (the engine checks the rest).
    virtual bool body(QJsonObject *out, QString *error) const = 0;
    QFormLayout *form() const { return m_form; }
    const QJsonObject &original() const { return m_original; }
    void finishLayout();   // after the subclass added its rows

private:
    EngineClient *m_client;
    QString m_kind;
    bool m_create;
    QJsonObject m_original;
    QStringList m_existingIds;
    QFormLayout *m_form = nullptr;
    QLineEdit *m_id = nullptr;
    QLabel *m_error = nullptr;
    QPushButton *m_save = nullptr;
};

// An upstream: name, type, scheme, nodes with weights (a table), timeouts, retries, how the Host
// header is passed, and active and passive health checks.
class UpstreamEditorDialog final : public ResourceEditorDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(UpstreamEditorDialog)

public:
    UpstreamEditorDialog(EngineClient *client, bool create, const QJsonObject &upstream, const QStringList &existingIds, QWidget *parent = nullptr);
    ~UpstreamEditorDialog() override;

protected:
    bool body(QJsonObject *out, QString *error) const override;

private:
    void addNode(const QString &address = {}, int weight = 1);

    QLineEdit *m_name = nullptr;
    QComboBox *m_type = nullptr;
    QComboBox *m_scheme = nullptr;
    QTableWidget *m_nodes = nullptr;
    QDoubleSpinBox *m_connect = nullptr;
    QDoubleSpinBox *m_send = nullptr;
    QDoubleSpinBox *m_read = nullptr;
    QSpinBox *m_retries = nullptr;
    QComboBox *m_passHost = nullptr;
    QLineEdit *m_upstreamHost = nullptr;
    QGroupBox *m_active = nullptr;
    QComboBox *m_activeType = nullptr;
    QLineEdit *m_activePath = nullptr;
    QDoubleSpinBox *m_activeInterval = nullptr;
    QSpinBox *m_activeSuccesses = nullptr;
    QSpinBox *m_activeFailures = nullptr;
    QGroupBox *m_passive = nullptr;
    QSpinBox *m_passiveSuccesses = nullptr;
    QSpinBox *m_passiveFailures = nullptr;
    QSpinBox *m_passiveTimeouts = nullptr;
};

// A global rule: its id and plugins (with the plugin editor's checks and forms).
class GlobalRuleEditorDialog final : public ResourceEditorDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GlobalRuleEditorDialog)

public:
    GlobalRuleEditorDialog(EngineClient *client, RoutePluginCatalog *catalog, bool create, const QJsonObject &rule,
                           const QStringList &existingIds, QWidget *parent = nullptr);
    ~GlobalRuleEditorDialog() override;

protected:
    bool body(QJsonObject *out, QString *error) const override;

private:
    RoutePluginsEdit *m_plugins = nullptr;
};

// A tab listing the resources of /admin/<kind> with Add, Edit and Delete (asked first); reloads
// when the engine reports a change of that kind, whoever made it.
class ResourceListPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ResourceListPanel)

public:
    using EditorFactory = std::function<ResourceEditorDialog *(bool create, const QJsonObject &resource, const QStringList &ids, QWidget *parent)>;
    struct Column
    {
        QString title;
        std::function<QString(const QJsonObject &)> text;
    };

    // `prefix` names the widgets (<prefix>Table, <prefix>Add, <prefix>Edit, <prefix>Delete,
    // <prefix>Message); `what` is the resource in sentences ("upstream").
    ResourceListPanel(EngineClient *client, const QString &kind, const QString &prefix, const QString &what, const QList<Column> &columns,
                      EditorFactory factory, QWidget *parent = nullptr);
    ~ResourceListPanel() override;

    JsonRowsModel *model() const { return m_model; }
    void reload();
    void add();
    void editSelected();
    void deleteSelected();
    QString selectedId() const;

private:
    EngineClient *m_client;
    QString m_kind;
    QString m_what;
    EditorFactory m_factory;
    JsonRowsModel *m_model;
    QTableView *m_view;
    QPushButton *m_edit;
    QPushButton *m_delete;
    QLabel *m_message;
};

} // namespace Gatehouse::Ui
