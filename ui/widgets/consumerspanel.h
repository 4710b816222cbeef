#pragma once

#include <QWidget>

class QLabel;
class QPushButton;
class QTableView;

namespace Gatehouse::Ui {

class ConsumerTableModel;
class EngineClient;
class RoutePluginCatalog;

// The Routes page's Consumers tab: the gateway's consumers in a table with add, edit and
// delete (confirmed). Reloads from GET /admin/consumers whenever the engine reports a consumer
// change, whoever made it. Lives on the GUI thread.
class ConsumersPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConsumersPanel)

public:
    ConsumersPanel(EngineClient *client, RoutePluginCatalog *catalog, QWidget *parent = nullptr);
    ~ConsumersPanel() override;

    ConsumerTableModel *model() const { return m_model; }
    void reload();

    void addConsumer();
    void editSelected();
    void deleteSelected();

private:
    QString selectedUsername() const;
    void updateActions();
    QStringList usernames() const;

    EngineClient *m_client;
    RoutePluginCatalog *m_catalog;
    ConsumerTableModel *m_model;
    QTableView *m_view;
    QPushButton *m_add;
    QPushButton *m_edit;
    QPushButton *m_delete;
    QLabel *m_message;
};

} // namespace Gatehouse::Ui
