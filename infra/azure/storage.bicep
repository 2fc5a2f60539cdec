// The marketplace's Azure Storage account for cluster mode: grain state, Orleans membership and reminders in tables,
// queues for Orleans streams (listing changes), and a blob container for backups and exports.
// Deploy: az deployment group create -g RESOURCE_GROUP -f infra/azure/storage.bicep -p accountName=NAME
// (docs/operations.md). Table names match the host's defaults (Storage:AzureStorage:TableName and Orleans' own).

@description('Storage account name: 3-24 lower-case letters and digits, unique in Azure.')
@minLength(3)
@maxLength(24)
param accountName string

@description('Azure region; defaults to the resource group\'s.')
param location string = resourceGroup().location

@description('Replication: zone-redundant by default, so one zone\'s outage loses nothing acknowledged.')
@allowed([
  'Standard_ZRS'
  'Standard_GZRS'
  'Standard_LRS'
])
param skuName string = 'Standard_ZRS'

@description('Days deleted blobs and containers are kept (backups).')
@minValue(1)
@maxValue(365)
param deleteRetentionDays int = 14

var tableNames = [
  'MarketplaceGrainState'
  'OrleansSiloInstances'
  'OrleansReminders'
]

var queueNames = [
  'marketplace-listing-changes-0'
  'marketplace-listing-changes-1'
  'marketplace-listing-changes-2'
  'marketplace-listing-changes-3'
]

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: accountName
  location: location
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: true
    accessTier: 'Hot'
  }
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [for name in tableNames: {
  parent: tableService
  name: name
}]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [for name in queueNames: {
  parent: queueService
  name: name
}]

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: deleteRetentionDays
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: deleteRetentionDays
    }
  }
}

resource backups 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: 'backups'
  properties: {
    publicAccess: 'None'
  }
}

@description('The account\'s resource id.')
output accountId string = account.id

@description('Table endpoint, for the host\'s connection string.')
output tableEndpoint string = account.properties.primaryEndpoints.table
