// The first deployment, before the code is published: the defaults, a client secret and an MI External Application.
// `node scripts/bicep.js write` evaluates it into first-deployment.snapshot.json; test/infra reads that snapshot.
using '../azuredeploy.json'

param clientId = '11111111-1111-1111-1111-111111111111'
param miUrl = 'https://mi.example.com'
param miApplicationId = 'mi-application-id'
param miUser = 'mi-admin'
param groups = [
  'Sales Team'
  'Marketing'
]
param autoCreate = 'all'
param dryRun = true
param alertEmail = 'admin@example.com'
