// The second deployment, once the code is published: function keys and webhook URLs, with a certificate and a
// personal MI token instead of a secret and an application key.
using '../azuredeploy.json'

param clientId = '11111111-1111-1111-1111-111111111111'
param entraCredential = 'certificate'
param miUrl = 'https://mi.example.com'
param miAuth = 'token'
param groups = [
  'Sales Team'
]
param appPublished = true
param webhookKey = 'placeholder-webhook-key'
param statusKey = 'placeholder-status-key'
param alertEmail = 'admin@example.com'
